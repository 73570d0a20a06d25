"""The system's PyGObject (Debian/Ubuntu ``python3-gi``) for a venv or a one-file binary that has none.

pystray draws a menu on Linux only through GTK (or AppIndicator), which needs PyGObject. PyGObject has
no wheels on PyPI (building it needs the GObject/cairo development packages), so the README's venv and
the Linux binary do not have it; without it pystray falls back to its X11 backend, which has no menu.
Most Linux desktops already have the system's copy (``python3-gi``, and ``gir1.2-gtk-3.0`` for GTK's
typelib). Its compiled part works in any CPython of the same version and platform, so when it was built
for this interpreter's ABI (the ``_gi`` module's file name ends with this interpreter's extension
suffix, e.g. ``.cpython-311-x86_64-linux-gnu.so``), ``gi`` is loaded from there: only the ``gi``
package, never the rest of the system's site-packages. Otherwise nothing changes (the X11 backend, whose
left click opens the operator console). ``MESSENGER_SYSTEM_GI=0`` turns this off.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import logging
import os
import sys
from pathlib import Path

log = logging.getLogger("messenger.tray")


def system_gi_dirs() -> list[Path]:
    """Where distributions keep the system Python's ``gi`` package (Debian/Ubuntu first)."""
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    return [Path("/usr/lib/python3/dist-packages/gi"), Path(f"/usr/lib64/{version}/site-packages/gi"),
            Path(f"/usr/lib/{version}/site-packages/gi")]


def matching_system_gi() -> Path | None:
    """The first system ``gi`` package whose compiled module fits this interpreter, or None."""
    suffix = importlib.machinery.EXTENSION_SUFFIXES[0]  # the full ABI tag, e.g. .cpython-311-x86_64-linux-gnu.so
    for folder in system_gi_dirs():
        if (folder / "__init__.py").is_file() and (folder / f"_gi{suffix}").is_file():
            return folder
    return None


def use_system_gi() -> Path | None:
    """Make ``import gi`` load the system's PyGObject when this Python has none of its own and the
    system's fits (see the module docstring); it must also find GTK 3's typelib. Returns the folder
    used, or None (then ``gi`` stays unimportable and pystray uses its X11 backend)."""
    if not sys.platform.startswith("linux") or os.environ.get("MESSENGER_SYSTEM_GI", "").strip() == "0":
        return None
    if "gi" in sys.modules or importlib.util.find_spec("gi") is not None:
        return None  # this Python has PyGObject (pip, or the binary bundles it): that one
    folder = matching_system_gi()
    if folder is None:
        return None
    spec = importlib.util.spec_from_file_location("gi", folder / "__init__.py",
                                                  submodule_search_locations=[str(folder)])
    if spec is None or spec.loader is None:
        return None
    module = importlib.util.module_from_spec(spec)
    sys.modules["gi"] = module
    try:
        spec.loader.exec_module(module)
        module.require_version("Gtk", "3.0")  # raises ValueError without gir1.2-gtk-3.0
        importlib.import_module("gi.repository.GLib")  # its overrides need modules a binary may lack
    except Exception as exc:
        for name in [n for n in sys.modules if n == "gi" or n.startswith("gi.")]:
            del sys.modules[name]
        log.info("the system's PyGObject in %s cannot be used (%s); the tray has no menu", folder, exc)
        return None
    log.info("tray: using the system's PyGObject from %s", folder)
    return folder
