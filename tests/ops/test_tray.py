"""The real tray under a real X server: Xvfb + trayer + ``python launcher.py`` (GTK backend via PyGObject).

Every menu action is triggered through pystray's own MenuItem objects inside the running tray (the
test-only control enabled by MESSENGER_TRAY_CONTROL calls ``item(icon)``, exactly what a click does),
and its effect is checked from outside. The menu is also opened with a real right-click (xdotool) for
a screenshot; ``UPDATE_SCREENSHOTS=1`` saves it as docs/images/tray.png (otherwise it stays
in the test's temporary directory, so a test run leaves the tree clean).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from gui.i18n import LABELS
from messenger.i18n import catalog
from tests.helpers import LiveUser
from tests.services import close_window, free_port, missing, x_display_with_tray_panel, zenity_window

ROOT = Path(__file__).resolve().parents[2]
KO = LABELS["ko"]
STARTUP_KO = {k.removeprefix("startup."): v for k, v in catalog("ko").items() if k.startswith("startup.")}


def _require() -> None:
    for tool in ("Xvfb", "trayer", "xdotool", "dbus-run-session"):
        if shutil.which(tool) is None:
            missing(tool)
    try:
        import gi  # noqa: F401
    except ImportError:
        missing("PyGObject (gi)")


@pytest.fixture
def xserver(tmp_path: Path) -> Iterator[str]:
    _require()
    with x_display_with_tray_panel() as display:
        yield display


class Tray:
    def __init__(self, proc: subprocess.Popen[str], control: Path, port: int) -> None:
        self.proc, self.control, self.port, self.n = proc, control, port, 0

    def ask(self, request: dict[str, Any], timeout: float = 60) -> dict[str, Any]:
        self.n += 1
        req = self.control / f"req-{self.n:04d}.json"
        tmp = self.control / f".req-{self.n:04d}.tmp"
        tmp.write_text(json.dumps(request, ensure_ascii=False), encoding="utf-8")
        tmp.rename(req)
        resp = self.control / f"resp-{self.n:04d}.json"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if resp.exists():
                data = json.loads(resp.read_text(encoding="utf-8"))
                assert data["ok"], data
                return data
            assert self.proc.poll() is None, "the tray exited"
            time.sleep(0.05)
        raise AssertionError(f"no answer to {request}")

    def click(self, *path: str) -> dict[str, Any]:
        self.ask({"cmd": "click", "path": list(path)})
        return self.ask({"cmd": "wait"})

    def kill(self) -> None:
        """After a failure: dbus-run-session and the tray under it, the whole process group."""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.communicate(timeout=10)

    def until(self, predicate: Any, timeout: float = 30) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            state = self.ask({"cmd": "menu"})
            if predicate(state) or time.monotonic() > deadline:
                return state
            time.sleep(0.2)


def _health(port: int) -> bool:
    try:
        return requests.get(f"http://127.0.0.1:{port}/api/health", timeout=2).status_code == 200
    except requests.RequestException:
        return False


def _recorder(bin_dir: Path, name: str, log: Path) -> None:
    script = bin_dir / name
    script.write_text(f'#!/bin/sh\necho "$@" >> "{log}"\n')
    script.chmod(0o755)


def _icon_centre(display: str) -> tuple[int, int] | None:
    from PIL import ImageGrab

    shot = ImageGrab.grab(xdisplay=display).convert("RGB")
    xs, ys = [], []
    for y in range(0, 60):
        for x in range(600, 800):
            r, g, b = shot.getpixel((x, y))
            if abs(r - 37) < 40 and abs(g - 99) < 40 and b > 180:  # the running icon's blue
                xs.append(x)
                ys.append(y)
    if len(xs) < 20:
        return None
    return sum(xs) // len(xs), sum(ys) // len(ys)


def start_tray(display: str, tmp_path: Path, port: int, **extra_env: str) -> tuple[Tray, dict[str, str]]:
    """``python launcher.py`` in tray mode on ``display`` with the test control on; browser and
    xdg-open record what they were asked to open in ``tmp_path/opened.txt``."""
    data, control, bin_dir = tmp_path / "data", tmp_path / "ctl", tmp_path / "bin"
    for d in (control, bin_dir):
        d.mkdir()
    opened = tmp_path / "opened.txt"
    _recorder(bin_dir, "xdg-open", opened)
    _recorder(bin_dir, "record-browser", opened)
    env = {**os.environ, "DISPLAY": display, "NO_AT_BRIDGE": "1", "MESSENGER_DATA_DIR": str(data),
           "MESSENGER_TRAY_CONTROL": str(control), "XDG_CONFIG_HOME": str(tmp_path / "config"),
           "BROWSER": "record-browser", "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
           "LANG": "ko_KR.UTF-8", "PYTHONUNBUFFERED": "1", "HOME": str(tmp_path / "home"), **extra_env}
    env.pop("LC_ALL", None)
    proc = subprocess.Popen(["dbus-run-session", "--", sys.executable, str(ROOT / "launcher.py"), "--host",
                             "0.0.0.0", "--port", str(port)], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)
    return Tray(proc, control, port), env


def test_tray_menu_actions_under_x(xserver: str, tmp_path: Path) -> None:
    port = free_port()
    data, opened = tmp_path / "data", tmp_path / "opened.txt"
    tray, env = start_tray(xserver, tmp_path, port)
    proc = tray.proc
    try:
        state = tray.until(lambda s: s["state"] == "running", timeout=60)
        assert state["state"] == "running" and _health(port)
        assert state["status"].startswith("실행 중 · http://") and f":{port} · 접속 0명" in state["status"]
        labels = [i.get("text") for i in state["menu"]]
        # The first run: no admin yet, so the menu shows the one-time setup code, and "open in browser"
        # opens the registration with the code filled in.
        setup_prefix = KO["setup_code"].split("{")[0]
        assert labels[1].startswith(setup_prefix) and state["menu"][1]["enabled"] is False
        code = labels[1][len(setup_prefix):]
        assert labels[2:5] == [KO["open"], KO["copy"], KO["stop"]] and labels[-1] == KO["quit"]
        assert state["menu"][2]["default"] is True
        assert code in (data / "logs" / "messenger.log").read_text(encoding="utf-8")
        lan_url = state["status"].split(" · ")[1]
        tray.click(KO["open"])

        kim = LiveUser(f"http://127.0.0.1:{port}", "kim")  # from this PC: no code needed; the first admin
        state = tray.until(lambda s: not s["menu"][1]["text"].startswith(setup_prefix), timeout=15)
        assert [i.get("text") for i in state["menu"]][1:4] == [KO["open"], KO["copy"], KO["stop"]]
        sock = kim.socket()
        # The status line and the tooltip both show the new count (they are refreshed one after the other).
        state = tray.until(lambda s: "접속 1명" in s["status"] and "접속 1명" in s["title"], timeout=15)
        assert "접속 1명" in state["status"] and "접속 1명" in state["title"]

        tray.click(KO["copy"])
        clip = subprocess.run([sys.executable, "-c", (
            "import gi; gi.require_version('Gtk', '3.0'); from gi.repository import Gtk, Gdk; "
            "print(Gtk.Clipboard.get(Gdk.SELECTION_CLIPBOARD).wait_for_text())")],
            env={**env, "PATH": os.environ["PATH"]}, capture_output=True, text=True, timeout=30)
        assert clip.stdout.strip() == lan_url, clip.stderr

        tray.click(KO["backup_now"])
        backups = [p for p in (data / "backups").iterdir() if not p.name.startswith(".")]
        assert len(backups) == 1 and (backups[0] / "manifest.json").exists()
        state = tray.click(KO["verify_latest"])
        assert state["status"].startswith("실행 중"), state["status"]  # no failure in the status line

        sock.disconnect()
        lee = LiveUser(f"http://127.0.0.1:{port}", "lee")  # made after the backup
        restore_menu = next(i for i in tray.ask({"cmd": "menu"})["menu"] if i.get("text") == KO["restore"])
        entry = restore_menu["submenu"][0]["text"]
        state = tray.click(KO["restore"], entry, KO["restore_this"])
        assert state["state"] == "running" and _health(port)  # stopped, restored, started again
        for user, expected in ((lee, 401), (kim, 200)):  # lee came after the backup; kim was in it
            r = requests.post(f"http://127.0.0.1:{port}/api/login", timeout=5,
                              json={"username": user.username, "password": user.password})
            assert r.status_code == expected, r.text
        safety = next(p for p in (data / "backups").iterdir() if p.name.endswith("_before-restore"))
        db_file = safety / "messenger.db"
        damaged = bytearray(db_file.read_bytes())
        damaged[len(damaged) // 2] ^= 0xFF
        db_file.write_bytes(bytes(damaged))
        state = tray.click(KO["verify_latest"])  # the safety backup is the newest now
        # the problem in the tray's language too (it used to be the English sentence in a Korean tray)
        assert state["status"] == "백업 검사 실패: messenger.db이(가) 손상되었습니다: SHA-256이 목록과 다릅니다.", state["status"]

        state = tray.click(KO["stop"])
        assert state["state"] == "stopped" and not _health(port) and state["status"] == KO["stopped"]
        state = tray.click(KO["start"])
        assert state["state"] == "running" and _health(port)

        tray.click(KO["auto"], KO["auto_off"])
        assert json.loads((data / "ops.json").read_text())["auto_backup"]["enabled"] is False
        tray.click(KO["auto"], KO["auto_hour"], "03:00")
        tray.click(KO["auto"], KO["auto_keep"], KO["keep_n"].format(n=30))
        tray.click(KO["auto"], KO["auto_daily"].format(hour=3))
        assert json.loads((data / "ops.json").read_text())["auto_backup"] == {"enabled": True, "hour": 3, "keep": 30}

        tray.click(KO["open_data"])
        tray.click(KO["open_logs"])
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and len(opened.read_text().splitlines()) < 3:
            time.sleep(0.1)
        assert opened.read_text().splitlines() == [f"http://127.0.0.1:{port}/setup?code={code}", str(data),
                                                   str(data / "logs")]

        desktop_file = tmp_path / "config" / "autostart" / "intranet-messenger.desktop"
        state = tray.click(KO["autostart"])
        assert desktop_file.exists() and "launcher.py" in desktop_file.read_text()
        assert next(i for i in state["menu"] if i.get("text") == KO["autostart"])["checked"] is True
        tray.click(KO["autostart"])
        assert not desktop_file.exists()

        # One tray per data folder: a second one says so in a dialog (and on the terminal), and ends.
        second = subprocess.Popen(["dbus-run-session", "--", sys.executable, str(ROOT / "launcher.py"), "--port",
                                   str(free_port())], cwd=ROOT, env={**env, "MESSENGER_TRAY_CONTROL": ""},
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            wid, cmdline = zenity_window(xserver, KO["app"])
            assert STARTUP_KO["fail_already_running"].format(path=data) in cmdline
            close_window(xserver, wid)
            _, err = second.communicate(timeout=60)
        finally:
            if second.poll() is None:
                second.kill()
        assert second.returncode == 2 and STARTUP_KO["fail_already_running"].format(path=data) in err

        sock = kim.socket()  # someone online for the picture
        assert "접속 1명" in tray.until(lambda s: "접속 1명" in s["status"], timeout=15)["status"]
        _screenshot_with_menu_open(xserver, tmp_path / "tray.png")
        sock.disconnect()

        tray.ask({"cmd": "click", "path": [KO["quit"]]})
        out, _ = proc.communicate(timeout=30)
        assert proc.returncode == 0, out
        assert not _health(port)
    finally:
        tray.kill()


def test_the_tray_shows_stopping_until_the_server_has_stopped(xserver: str, tmp_path: Path) -> None:
    """Stopping the server ("서버 중지") takes a moment (clients are told, open requests get up to 3 s):
    the tray says so meanwhile, and offers no Start until the server is down."""
    import socket

    port = free_port()
    tray, _ = start_tray(xserver, tmp_path, port)
    try:
        assert tray.until(lambda s: s["state"] == "running", timeout=60)["state"] == "running"
        # A browser halfway through sending a request: the server waits for it (up to 3 s) before it is down.
        pending = socket.create_connection(("127.0.0.1", port))
        pending.sendall(b"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        tray.ask({"cmd": "click", "path": [KO["stop"]]})  # not waiting for the action: watch it work
        seen = tray.until(lambda s: s["state"] != "running", timeout=15)
        assert seen["state"] == "stopping", seen
        assert seen["status"] == KO["stopping"] and KO["stopping"] in seen["title"]
        labels = {i.get("text"): i for i in seen["menu"]}
        assert KO["stop"] not in labels and labels[KO["start"]]["enabled"] is False
        assert labels[KO["open"]]["enabled"] is False
        stopped = tray.until(lambda s: s["state"] == "stopped", timeout=30)
        assert stopped["status"] == KO["stopped"] and not _health(port)
        assert next(i for i in stopped["menu"] if i.get("text") == KO["start"])["enabled"] is True
        pending.close()
        tray.click(KO["start"])
        assert tray.until(lambda s: s["state"] == "running", timeout=60)["state"] == "running" and _health(port)
        tray.ask({"cmd": "click", "path": [KO["quit"]]})
        out, _ = tray.proc.communicate(timeout=30)
        assert tray.proc.returncode == 0, out
    finally:
        tray.kill()


def _screenshot_with_menu_open(display: str, target: Path) -> None:
    from PIL import ImageGrab

    env = {**os.environ, "DISPLAY": display}
    deadline = time.monotonic() + 15
    centre = None
    while centre is None and time.monotonic() < deadline:
        centre = _icon_centre(display)
        time.sleep(0.2)
    assert centre is not None, "the tray icon was not drawn in the panel"
    subprocess.run(["xdotool", "mousemove", str(centre[0]), str(centre[1]), "click", "3"], env=env, check=True,
                   timeout=10)
    time.sleep(1.0)
    shot = ImageGrab.grab(xdisplay=display)
    if os.environ.get("UPDATE_SCREENSHOTS") == "1":
        target = ROOT / "docs" / "images" / "tray.png"
    shot.save(target)
    assert shot.getbbox() is not None, "the screenshot is empty"
    subprocess.run(["xdotool", "key", "Escape"], env=env, check=False, timeout=10)
