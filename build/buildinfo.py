"""Names shared by ``messenger.spec``, ``build/build.py`` and the smoke test (no third-party imports).

The version lives only in ``messenger/version.py``; it is read from the file (not imported), so the
spec and the build script work before any dependency is installed.
"""

from __future__ import annotations

import ast
import platform
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WINDOWS = sys.platform == "win32"


def read_version(root: Path = ROOT) -> str:
    """``__version__`` from messenger/version.py."""
    tree = ast.parse((root / "messenger" / "version.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "__version__" for t in node.targets):
            return str(ast.literal_eval(node.value))
    raise SystemExit("messenger/version.py has no __version__")


def platform_tag() -> str:
    """``linux-x86_64``, ``windows-x86_64``, ``macos-arm64``, ..."""
    system = {"win32": "windows", "darwin": "macos"}.get(sys.platform, sys.platform.rstrip("0123456789"))
    machine = platform.machine().lower()
    machine = {"amd64": "x86_64", "x64": "x86_64", "aarch64": "arm64"}.get(machine, machine)
    return f"{system}-{machine}"


def artifact_name(root: Path = ROOT) -> str:
    """The binary's name (without ``.exe``): ``intranet-messenger-<version>-<os>-<arch>``."""
    return f"intranet-messenger-{read_version(root)}-{platform_tag()}"


def onedir_folder_name(root: Path = ROOT) -> str:
    """The one-folder build's folder (distinct from the one-file binary, so both can sit in dist/)."""
    return artifact_name(root) + "-onedir"


def artifact_path(dist: Path, onedir: bool, root: Path = ROOT) -> Path:
    """The executable PyInstaller writes into ``dist``."""
    exe = artifact_name(root) + (".exe" if WINDOWS else "")
    return dist / onedir_folder_name(root) / exe if onedir else dist / exe


def artifact_size(executable: Path) -> int:
    """Bytes of the one file, or of the whole one-folder build (links counted once)."""
    folder = executable.parent
    if not (folder / "_internal").is_dir():
        return executable.stat().st_size
    return sum(p.lstat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


def source_tuple(path: Path, name: str) -> tuple[str, ...]:
    """A module-level tuple of strings (``FEATURES``, ``COMMAND_MODULES``) read from source, not imported."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in tree.body:
        target = node.target if isinstance(node, ast.AnnAssign) else None
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
        if isinstance(target, ast.Name) and target.id == name and node.value is not None:
            return tuple(str(v) for v in ast.literal_eval(node.value))
    return ()
