"""The tray on a Linux desktop, in the environment the README's own command creates (``python3 -m venv``
+ ``pip install -r requirements.txt``: no PyGObject), under Xvfb with a real tray host (trayer).

- With the system's PyGObject (Debian ``python3-gi`` + ``gir1.2-gtk-3.0``), the tray loads it
  (gui/system_gi.py) and has its GTK menu: a real right click (xdotool) opens the menu window, found
  among the X windows, and an item chosen in it (keyboard, as a person can) does its work.
- Without it (``MESSENGER_SYSTEM_GI=0``: pystray's X11 backend, no menu), a real left click on the icon
  opens the operator console in the browser.

The README environment is a venv made as the README says (``python -m venv`` + ``pip install -r
requirements.txt``, nothing else) in build/work/readme-venv with build/build.py's helper, reused while
requirements.txt and the Python version do not change (its own folder: the binary's build venv may be
rebuilt by another test process meanwhile).
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.services import free_port, missing, x_display_with_tray_panel

ROOT = Path(__file__).resolve().parents[2]
BLUE = (37, 99, 235)  # the running icon (gui/icons.py)

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]


@pytest.fixture(scope="module")
def readme_python() -> Path:
    spec = importlib.util.spec_from_file_location("messenger_build", ROOT / "build" / "build.py")
    assert spec is not None and spec.loader is not None
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)
    requirements = ROOT / "requirements.txt"  # the README's command: python3 -m venv + these, nothing else
    py, _, _ = build.ensure_venv(build.WORK / "readme-venv", ["-r", str(requirements)],
                                 build.requirements_stamp((requirements,), "readme"), False)
    no_gi = subprocess.run([str(py), "-c", "import gi"], capture_output=True, text=True, timeout=60)
    assert no_gi.returncode != 0, "the README's venv is not supposed to hold PyGObject"
    return Path(py)


@pytest.fixture
def display() -> Iterator[str]:
    for tool in ("Xvfb", "trayer", "xdotool", "xwininfo", "dbus-run-session"):
        if shutil.which(tool) is None:
            missing(tool)
    with x_display_with_tray_panel() as name:
        yield name


def _x(display: str, *args: str) -> str:
    return subprocess.run(args, env={**os.environ, "DISPLAY": display}, capture_output=True, text=True,
                          errors="replace", timeout=30).stdout  # window names may be latin-1


def _running_icon(display: str) -> tuple[int, int] | None:
    """The centre of the running (blue) icon in trayer's panel at the top right."""
    from PIL import ImageGrab

    shot = ImageGrab.grab(xdisplay=display).convert("RGB")
    points = [(x, y) for x in range(600, 800) for y in range(0, 60) if shot.getpixel((x, y)) == BLUE]
    if len(points) < 50:
        return None
    return sum(p[0] for p in points) // len(points), sum(p[1] for p in points) // len(points)


def _menu_windows(display: str) -> list[str]:
    """Visible override-redirect windows that draw (a popup menu), larger than 100x100."""
    found = []
    for wid in _x(display, "xdotool", "search", "--onlyvisible", "--name", "").split():
        info = _x(display, "xwininfo", "-id", wid)
        fields = dict(line.strip().split(": ", 1) for line in info.splitlines() if ": " in line)
        if (fields.get("Class") == "InputOutput" and fields.get("Override Redirect State") == "yes"
                and int(fields.get("Width", 0)) > 100 and int(fields.get("Height", 0)) > 100):
            found.append(wid)
    return found


def _wait(predicate, timeout: float, what: str, proc: subprocess.Popen[bytes], log: Path):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        assert proc.poll() is None, f"the tray exited:\n{log.read_text(errors='replace')}"
        time.sleep(0.2)
    raise AssertionError(f"{what} did not happen:\n{log.read_text(errors='replace')[-3000:]}")


def _start(py: Path, display: str, tmp_path: Path, **extra: str) -> tuple[subprocess.Popen[bytes], int, Path]:
    """An admin first (so a left click means the console, not the first-run set-up), then ``launcher.py``
    in tray mode; the browser it opens is recorded in ``tmp_path/opened.txt``."""
    bin_dir, data = tmp_path / "bin", tmp_path / "data"
    bin_dir.mkdir()
    for name in ("xdg-open", "record-browser"):
        (bin_dir / name).write_text(f'#!/bin/sh\necho "$@" >> "{tmp_path / "opened.txt"}"\n')
        (bin_dir / name).chmod(0o755)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MESSENGER_", "WAYLAND", "PYSTRAY"))}
    env.update({"DISPLAY": display, "NO_AT_BRIDGE": "1", "MESSENGER_DATA_DIR": str(data), "HOME": str(tmp_path),
                "XDG_CONFIG_HOME": str(tmp_path / "config"), "BROWSER": "record-browser", "MDNS_ENABLED": "false",
                "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "LANG": "en_US.UTF-8", **extra})
    made = subprocess.run([str(py), str(ROOT / "launcher.py"), "create-user", "boss", "--admin", "--password-stdin"],
                          cwd=ROOT, env=env, input=b"boss-password-1\n", capture_output=True, timeout=120)
    assert made.returncode == 0, made.stderr
    port = free_port()
    log = tmp_path / "tray.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(["dbus-run-session", "--", str(py), str(ROOT / "launcher.py"), "--host", "127.0.0.1",
                                 "--port", str(port)], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
    return proc, port, log


def _healthy(port: int) -> bool:
    try:
        return requests.get(f"http://127.0.0.1:{port}/api/health", timeout=2).status_code == 200
    except requests.RequestException:
        return False


def _open_menu(display: str, proc: subprocess.Popen[bytes], log: Path) -> list[str]:
    """Right-click the running icon until its menu window shows (a click while the tray redraws the
    icon can be lost, as on a desktop; a person clicks again)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        x, y = _wait(lambda: _running_icon(display), 30, "the running icon", proc, log)
        _x(display, "xdotool", "mousemove", str(x), str(y), "click", "3")
        click_deadline = time.monotonic() + 3
        while time.monotonic() < click_deadline:
            menu = _menu_windows(display)
            if menu:
                return menu
            time.sleep(0.2)
    raise AssertionError(f"the menu did not open:\n{log.read_text(errors='replace')[-3000:]}")


def _quit(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the tray (dbus-run-session's child; it ends when its child ends)."""
    children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()
    assert children, "no tray process under dbus-run-session"
    os.kill(int(children[-1]), signal.SIGTERM)
    proc.wait(60)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)


def test_the_readme_venv_has_a_tray_menu_with_the_systems_pygobject(readme_python: Path, display: str,
                                                                     tmp_path: Path) -> None:
    if not Path("/usr/lib/python3/dist-packages/gi").is_dir():
        missing("python3-gi (Debian)")
    proc, port, log = _start(readme_python, display, tmp_path)
    try:
        _wait(lambda: _healthy(port), 120, "the server answering", proc, log)
        _wait(lambda: _running_icon(display), 60, "the running icon docking", proc, log)
        assert "using the system's PyGObject" in (tmp_path / "data" / "logs" / "messenger.log").read_text()
        assert len(_open_menu(display, proc, log)) == 1
        # The menu: status line (disabled), Open in browser, Copy address, Stop server, ─, Back up now, …
        # Keyboard navigation skips the disabled line and the separator, as for a person.
        for key in ("Down", "Down", "Down", "Down", "Return"):
            _x(display, "xdotool", "key", key)
        backups = tmp_path / "data" / "backups"
        made = _wait(lambda: [p for p in backups.glob("*") if (p / "manifest.json").exists()], 60,
                     "a backup from the menu", proc, log)
        assert len(made) == 1
        _wait(lambda: not _menu_windows(display), 10, "the menu closing", proc, log)
        _open_menu(display, proc, log)  # again, for its last item: Quit
        for key in ("Up", "Return"):
            _x(display, "xdotool", "key", key)
        proc.wait(60)
        assert not _healthy(port)
    finally:
        _stop(proc)
    assert proc.returncode == 0, log.read_text(errors="replace")[-3000:]


def test_without_a_menu_backend_a_left_click_opens_the_console(readme_python: Path, display: str,
                                                              tmp_path: Path) -> None:
    proc, port, log = _start(readme_python, display, tmp_path, MESSENGER_SYSTEM_GI="0")
    try:
        _wait(lambda: _healthy(port), 120, "the server answering", proc, log)
        x, y = _wait(lambda: _running_icon(display), 60, "the running icon docking", proc, log)
        assert "PyGObject" not in (tmp_path / "data" / "logs" / "messenger.log").read_text()
        _x(display, "xdotool", "mousemove", str(x), str(y), "click", "1")
        opened = tmp_path / "opened.txt"
        _wait(lambda: opened.exists() and opened.read_text().strip(), 30, "the browser opening", proc, log)
        assert opened.read_text().split() == [f"http://127.0.0.1:{port}/console"]
        assert requests.get(f"http://127.0.0.1:{port}/console", timeout=5).status_code == 200
        _quit(proc)
    finally:
        _stop(proc)
    assert proc.returncode == 0, log.read_text(errors="replace")[-3000:]
