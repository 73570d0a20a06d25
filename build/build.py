#!/usr/bin/env python3
"""Build the Intranet Messenger binary for this platform into ``dist/``, then smoke-test it.

    python build/build.py [--onedir] [--skip-smoke] [--fresh] [--report FILE]

1. A clean build venv in ``build/work/venv`` with exactly ``requirements.txt`` and
   ``build/requirements-build.txt`` (PyInstaller). It is reused while those files and the Python
   version are unchanged, and lives only in that folder (git-ignored; a fresh clone, as in CI, builds
   it from scratch). PyInstaller's own cache is kept in ``build/work`` too.
2. PyInstaller with ``messenger.spec``: one file by default (``--onedir``: one folder), work files in
   ``build/work/pyinstaller-*``, the artifact in ``dist/intranet-messenger-<version>-<os>-<arch>``.
3. ``build/smoke.py`` on the artifact: health, two users, a message over WebSocket, an upload,
   ``backup`` + ``verify`` through the binary, SIGTERM with nothing left behind, five restarts
   (median launch -> health time, CPU time to the first answer, idle RSS).
   It runs under this interpreter when it has the client libraries (the dev venv has), otherwise
   in a small client venv (``build/work/smoke-venv``).

Prints the sizes and times (and writes them as JSON to ``--report``, default
``build/work/build-report-<onefile|onedir>.json``). Exits non-zero when any step fails.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from buildinfo import ROOT, WINDOWS, artifact_path, artifact_size, read_version  # noqa: E402

WORK = ROOT / "build" / "work"
DIST = ROOT / "dist"
BUILD_REQUIREMENTS = (ROOT / "requirements.txt", ROOT / "build" / "requirements-build.txt")
SMOKE_CLIENT_PACKAGES = ("requests", "python-socketio", "python-engineio", "websocket-client", "psutil")
SMOKE_CLIENT_MODULES = ("requests", "socketio", "websocket", "psutil")
CPU_GOAL_S = 0.8  # CPU time from launch to the first /api/health answer on existing data (issue 17, item 8)
RSS_GOAL_BYTES = 80_000_000  # idle resident memory of the server process
# one file (issue 9); most extension modules are stored uncompressed for start-up CPU (messenger.spec)
SIZE_GOAL_BYTES = 50_000_000


class BuildError(RuntimeError):
    pass


def log(text: str) -> None:
    print(f"build: {text}", flush=True)


def run(cmd: list[str], **kw: Any) -> None:
    log("$ " + " ".join(str(c) for c in cmd))
    result = subprocess.run([str(c) for c in cmd], **kw)
    if result.returncode != 0:
        raise BuildError(f"command failed with exit code {result.returncode}: {cmd[0]} ...")


def venv_python(venv: Path) -> Path:
    return venv / ("Scripts/python.exe" if WINDOWS else "bin/python")


def ensure_venv(venv: Path, requirement_args: list[str], stamp_text: str, fresh: bool) -> tuple[Path, float, bool]:
    """A venv holding exactly these requirements; rebuilt when ``stamp_text`` changed.

    Returns (python, seconds spent, whether it was (re)built).
    """
    stamp = venv / ".build-stamp"
    py = venv_python(venv)
    if not fresh and py.exists() and stamp.exists() and stamp.read_text(encoding="utf-8") == stamp_text:
        log(f"reusing {venv.relative_to(ROOT)} (requirements unchanged)")
        return py, 0.0, False
    t0 = time.perf_counter()
    shutil.rmtree(venv, ignore_errors=True)
    run([sys.executable, "-m", "venv", venv])
    run([py, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *requirement_args])
    stamp.write_text(stamp_text, encoding="utf-8")
    return py, time.perf_counter() - t0, True


def requirements_stamp(files: tuple[Path, ...], extra: str = "") -> str:
    h = hashlib.sha256(f"{sys.version}|{platform.machine()}|{extra}".encode())
    for path in files:
        h.update(path.read_bytes())
    return h.hexdigest()


def build_venv(fresh: bool) -> tuple[Path, float, bool]:
    args: list[str] = []
    for req in BUILD_REQUIREMENTS:
        args += ["-r", str(req)]
    return ensure_venv(WORK / "venv", args, requirements_stamp(BUILD_REQUIREMENTS), fresh)


def pyinstaller(py: Path, onedir: bool) -> tuple[Path, float]:
    kind = "onedir" if onedir else "onefile"
    target = artifact_path(DIST, onedir)
    stale = target.parent if onedir else target
    if stale.exists():  # never smoke-test an older artifact by mistake
        shutil.rmtree(stale) if stale.is_dir() else stale.unlink()
    env = dict(os.environ)
    env["MESSENGER_ONEDIR"] = "1" if onedir else "0"
    env["PYINSTALLER_CONFIG_DIR"] = str(WORK / "pyinstaller-cache")  # its bincache stays in build/work
    env.pop("PYTHONPATH", None)
    t0 = time.perf_counter()
    run([py, "-m", "PyInstaller", "--noconfirm", "--clean", "--log-level", "WARN",
         "--workpath", WORK / f"pyinstaller-{kind}", "--distpath", DIST, ROOT / "messenger.spec"],
        cwd=ROOT, env=env)
    seconds = time.perf_counter() - t0
    if not target.is_file():
        raise BuildError(f"PyInstaller finished but {target} does not exist")
    return target, seconds


def write_installer_defines(binary: Path) -> Path:
    """``build/work/version.iss``: the version and artifact name for installer/windows/messenger.iss."""
    version = read_version()
    numeric = ".".join((re.findall(r"\d+", version) + ["0"] * 4)[:4])
    path = WORK / "version.iss"
    path.write_text(
        "; written by build/build.py from messenger/version.py; do not edit\n"
        f'#define AppVersion "{version}"\n#define AppVersionNumeric "{numeric}"\n'
        f'#define AppArtifact "{binary.name}"\n', encoding="utf-8")
    return path


def smoke_interpreter(fresh: bool) -> Path:
    """This interpreter when it has the smoke test's client libraries, else a small client venv."""
    if all(importlib.util.find_spec(m) is not None for m in SMOKE_CLIENT_MODULES):
        return Path(sys.executable)
    pins = pinned(SMOKE_CLIENT_PACKAGES, (ROOT / "requirements.txt", ROOT / "requirements-dev.txt"))
    log(f"this Python lacks the smoke test's client libraries; using a client venv with {', '.join(pins)}")
    py, _, _ = ensure_venv(WORK / "smoke-venv", pins, requirements_stamp((), "|".join(pins)), fresh)
    return py


def pinned(names: tuple[str, ...], files: tuple[Path, ...]) -> list[str]:
    """``name==version`` for each name, as pinned in the requirement files."""
    found: dict[str, str] = {}
    for path in files:
        for line in path.read_text(encoding="utf-8").splitlines():
            m = re.match(r"\s*([A-Za-z0-9_.-]+)(\[[^\]]*\])?\s*==\s*([^\s#;]+)", line)
            if m and m.group(1).lower() in names:
                found[m.group(1).lower()] = f"{m.group(1)}=={m.group(3)}"
    return [found.get(n, n) for n in names]


def smoke(binary: Path, fresh: bool, report: Path, source_python: Path) -> dict[str, Any]:
    py = smoke_interpreter(fresh)
    out = report.with_name(report.stem + "-smoke.json")
    out.unlink(missing_ok=True)
    t0 = time.perf_counter()
    result = subprocess.run([str(py), str(ROOT / "build" / "smoke.py"), "--binary", str(binary), "--json", str(out),
                             "--source-python", str(source_python)],
                            cwd=ROOT)
    data: dict[str, Any] = json.loads(out.read_text(encoding="utf-8")) if out.exists() else {}
    data["seconds"] = round(time.perf_counter() - t0, 1)
    if result.returncode != 0 or not data.get("ok"):
        raise BuildError(f"smoke test failed: {data.get('error', 'see above')}")
    return data


def mb(n: int) -> str:
    return f"{n / 1_000_000:.1f} MB"


def summary(rep: dict[str, Any]) -> str:
    lines = [
        f"artifact: {rep['artifact']}",
        f"version {rep['version']}, {rep['kind']}, {rep['platform']}, Python {rep['python']}, {rep['cpus']} CPUs",
        f"build venv: {rep['venv_seconds']:.1f} s ({'built' if rep['venv_built'] else 'reused'}); "
        f"PyInstaller: {rep['pyinstaller_seconds']:.1f} s",
        f"size: {mb(rep['size_bytes'])}",
    ]
    s = rep.get("smoke")
    if s:
        goal = 1.0 if rep["kind"] == "onedir" else 3.0
        first, restart, best = s["startup_first_s"], s["startup_restart_s"], s["startup_restart_min_s"]
        cpu, rss, n = s["startup_restart_cpu_s"], s.get("idle_rss_bytes", 0), s.get("restarts", 3)
        lines += [
            f"launch -> /api/health 200: first start {first:.2f} s (creates the database), "
            f"restart {restart:.2f} s median / {best:.2f} s best of {n}; goal < {goal:g} s: "
            f"{'met' if restart < goal else 'MISSED'}",
            f"CPU time from launch to the first answer (restart, median of {n}): {cpu:.2f} s "
            f"({', '.join(f'{x:.2f}' for x in s.get('startup_restart_cpu_all_s', []))}); goal < {CPU_GOAL_S:g} s: "
            f"{'met' if cpu < CPU_GOAL_S else 'MISSED'}",
            f"idle RSS of the server process after a restart (median): {mb(rss)}; goal < {mb(RSS_GOAL_BYTES)}: "
            f"{'met' if rss < RSS_GOAL_BYTES else 'MISSED'}",
            f"same start from source (python launcher.py, interleaved): {s.get('startup_source_s', 0):.2f} s median / "
            f"{s.get('startup_source_min_s', 0):.2f} s best, CPU {s.get('startup_source_cpu_s', 0):.2f} s, "
            f"idle RSS {mb(s.get('idle_rss_source_bytes', 0))}",
            f"smoke test: passed in {s['seconds']} s ({', '.join(st['step'] for st in s['steps'])}); "
            f"load average at the end {rep['loadavg']}",
        ]
    if rep["kind"] == "onefile":
        lines.append(f"size goal < 50 MB: {'met' if rep['size_bytes'] < SIZE_GOAL_BYTES else 'MISSED'}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Build the binary for this platform into dist/ and smoke-test it.")
    parser.add_argument("--onedir", action="store_true", help="one folder instead of one file (faster start)")
    parser.add_argument("--skip-smoke", action="store_true", help="build only")
    parser.add_argument("--fresh", action="store_true", help="rebuild the build venv even if unchanged")
    parser.add_argument("--report", type=Path, default=None, help="write the results as JSON here")
    args = parser.parse_args(argv)
    kind = "onedir" if args.onedir else "onefile"
    report = args.report or WORK / f"build-report-{kind}.json"
    report.parent.mkdir(parents=True, exist_ok=True)
    WORK.mkdir(parents=True, exist_ok=True)
    rep: dict[str, Any] = {"ok": False, "kind": kind, "version": read_version(), "platform": sys.platform,
                           "python": platform.python_version(), "cpus": os.cpu_count()}
    t0 = time.perf_counter()
    try:
        py, rep["venv_seconds"], rep["venv_built"] = build_venv(args.fresh)
        binary, rep["pyinstaller_seconds"] = pyinstaller(py, args.onedir)
        rep["artifact"] = str(binary.relative_to(ROOT))
        if not args.onedir:
            write_installer_defines(binary)
        rep["size_bytes"] = artifact_size(binary)
        if not args.skip_smoke:
            rep["smoke"] = smoke(binary, args.fresh, report, py)
        rep["loadavg"] = rep.get("smoke", {}).get("loadavg")
        rep["total_seconds"] = round(time.perf_counter() - t0, 1)
        rep["ok"] = True
    except (BuildError, OSError, subprocess.SubprocessError) as exc:
        rep["error"] = str(exc)
        report.write_text(json.dumps(rep, indent=2, ensure_ascii=False), encoding="utf-8")
        log(f"FAILED: {exc}")
        return 1
    report.write_text(json.dumps(rep, indent=2, ensure_ascii=False), encoding="utf-8")
    print(summary(rep) + f"\ntotal: {rep['total_seconds']:.1f} s; report: {report}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
