"""Start-up failures a person can see: the tray's error state (Xvfb + trayer, GTK backend), a real
zenity dialog where there is no tray (Xvfb alone), and the terminal; in one language, with the path
and the fix, never a raw errno or a traceback."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from gui.i18n import LABELS
from messenger.i18n import catalog
from tests.ops.test_tray import ROOT, Tray, _health, _require
from tests.services import close_window, free_port, missing, x_display, x_display_with_tray_panel, zenity_window

KO = LABELS["ko"]
STARTUP_KO = {k.removeprefix("startup."): v for k, v in catalog("ko").items() if k.startswith("startup.")}


def _tray(display: str, tmp_path: Path, *args: str) -> Tray:
    data, control = tmp_path / "data", tmp_path / "ctl"
    control.mkdir()
    env = {**os.environ, "DISPLAY": display, "NO_AT_BRIDGE": "1", "MESSENGER_DATA_DIR": str(data),
           "MESSENGER_TRAY_CONTROL": str(control), "XDG_CONFIG_HOME": str(tmp_path / "config"),
           "LANG": "ko_KR.UTF-8", "PYTHONUNBUFFERED": "1", "HOME": str(tmp_path / "home"), "BROWSER": "true",
           "PYTHONFAULTHANDLER": "1"}
    env.pop("LC_ALL", None)
    proc = subprocess.Popen(["dbus-run-session", "--", sys.executable, str(ROOT / "launcher.py"), "--host",
                             "0.0.0.0", *args], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)
    return Tray(proc, control, 0)


def _quit(tray: Tray) -> str:
    tray.ask({"cmd": "click", "path": [KO["quit"]]})
    out, _ = tray.proc.communicate(timeout=30)
    assert tray.proc.returncode == 0, out
    return out


@pytest.fixture
def xserver() -> Iterator[str]:
    _require()
    with x_display_with_tray_panel() as display:
        yield display


def test_tray_error_state_for_a_bad_setting_then_retry(xserver: str, tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    settings_file = data / "settings.toml"
    settings_file.write_text('SESSION_TIMEOUT_HOURS = "forever"\n', encoding="utf-8")
    port = free_port()
    tray = _tray(xserver, tmp_path, "--port", str(port))
    try:
        what = STARTUP_KO["fail_settings_invalid"].format(setting="SESSION_TIMEOUT_HOURS", path=settings_file)
        state = tray.until(lambda s: s["state"] == "error" and what in s["title"], timeout=60)
        assert state["state"] == "error"
        labels = [i.get("text") for i in state["menu"]]
        assert state["status"] == what and labels[0] == what and labels[1] == STARTUP_KO["fix_settings_invalid"]
        assert what in state["title"]  # the tooltip says it too
        assert KO["retry"] in labels and KO["open_logs"] in labels and KO["open_data"] in labels
        assert KO["open"] not in labels  # nothing to open in a browser
        logged = (data / "logs" / "messenger.log").read_text(encoding="utf-8")
        assert "settings are invalid" in logged and "SESSION_TIMEOUT_HOURS" in logged  # the log was open first

        # The person fixes it (and, for the health check below, asks for more free disk than exists).
        settings_file.write_text("SESSION_TIMEOUT_HOURS = 12\nHEALTH_MIN_FREE_MB = 10000000\n", encoding="utf-8")
        state = tray.click(KO["retry"])
        state = tray.until(lambda s: s["state"] == "running", timeout=30)
        assert state["state"] == "running" and _health(port)
        assert state["status"].startswith(KO["running"])
        low = KO["degraded_disk_low"].split("(")[0]
        state = tray.until(lambda s: low in s["status"], timeout=30)  # /api/health says degraded: disk_low
        assert low in state["status"] and low in state["title"]
        out = _quit(tray)
        assert "Traceback" not in out and "Errno" not in out
    finally:
        tray.kill()


def test_tray_offers_the_next_port_when_the_port_is_in_use(xserver: str, tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    with socket.socket() as busy:
        busy.bind(("0.0.0.0", 0))
        busy.listen()
        port = busy.getsockname()[1]
        (data / "settings.toml").write_text(f"DEFAULT_PORT = {port}\n", encoding="utf-8")
        tray = _tray(xserver, tmp_path)
        try:
            state = tray.until(lambda s: s["state"] == "error", timeout=60)
            assert state["status"] == STARTUP_KO["fail_port_in_use"].format(port=port)
            offer = next(i for i in state["menu"] if i.get("text", "").startswith(f"{port} 사용 중 → "))
            new_port = int(offer["text"].rsplit("→ ", 1)[1].removesuffix("로 시작"))
            assert new_port > port and offer["default"] is True
            state = tray.click(offer["text"])
            state = tray.until(lambda s: s["state"] == "running" and f":{new_port}" in s["title"], timeout=30)
            assert state["state"] == "running", state
            assert _health(new_port), requests.get(f"http://127.0.0.1:{new_port}/api/health", timeout=5).text
            assert f":{new_port} · " in state["status"] and f":{new_port}" in state["title"]  # the new URL
            saved = tomllib.loads((data / "settings.toml").read_text(encoding="utf-8"))
            assert saved["DEFAULT_PORT"] == new_port  # remembered for the next start
            out = _quit(tray)
            assert f":{new_port}" in out  # the terminal shows the new address too
            assert "Errno" not in out and "Traceback" not in out
        except Exception:
            if tray.proc.poll() is not None:
                print(tray.proc.stdout.read() if tray.proc.stdout else "")
            raise
        finally:
            tray.kill()


def test_without_a_tray_a_zenity_dialog_shows_the_failure(tmp_path: Path) -> None:
    for tool in ("Xvfb", "xdotool", "zenity"):
        if shutil.which(tool) is None:
            missing(tool)
    data = tmp_path / "data"
    data.mkdir()
    settings_file = data / "settings.toml"
    settings_file.write_text('REGISTRATION = "maybe"\n', encoding="utf-8")
    with x_display() as display:  # a desktop without any system tray
        env = {**os.environ, "DISPLAY": display, "LANG": "ko_KR.UTF-8", "MESSENGER_DATA_DIR": str(data),
               "NO_AT_BRIDGE": "1", "PYTHONUNBUFFERED": "1"}
        env.pop("LC_ALL", None)
        proc = subprocess.Popen([sys.executable, str(ROOT / "launcher.py"), "--port", str(free_port())], cwd=ROOT,
                                env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, start_new_session=True)
        try:
            wid, cmdline = zenity_window(display, KO["app"])
            what = STARTUP_KO["fail_settings_invalid"].format(setting="REGISTRATION", path=settings_file)
            assert "--error" in cmdline and what in cmdline and STARTUP_KO["fix_settings_invalid"] in cmdline
            assert str(data / "logs" / "messenger.log") in cmdline
            close_window(display, wid)
            out, err = proc.communicate(timeout=30)
            assert proc.returncode == 2
            assert what in err and "Traceback" not in err + out and "Errno" not in err + out
        except AssertionError:
            if proc.poll() is None:
                proc.kill()
            print(proc.communicate(timeout=10))
            raise
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate(timeout=10)


def test_terminal_names_the_port_and_the_fix_headless(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("0.0.0.0", 0))
        busy.listen()
        port = busy.getsockname()[1]
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DISPLAY", "WAYLAND"))}
        env.update(LANG="en_US.UTF-8", PYTHONUNBUFFERED="1")
        env.pop("LC_ALL", None)
        done = subprocess.run([sys.executable, str(ROOT / "launcher.py"), "--headless", "--port", str(port),
                               "--data-dir", str(tmp_path / "data")], cwd=ROOT, env=env, capture_output=True,
                              text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert done.returncode == 2
    assert f"Port {port} is already in use by another program." in done.stderr
    assert "--port " in done.stderr and "DEFAULT_PORT = " in done.stderr  # the fix, with the free port
    assert "Errno" not in done.stderr + done.stdout and "Traceback" not in done.stderr + done.stdout
    assert "port" in (tmp_path / "data" / "logs" / "messenger.log").read_text(encoding="utf-8")


# launcher.py as a build without gui/ runs it: the desktop part cannot be imported, so the launcher falls back
# to messenger.cli.main; the script reports whether anything from gui/ got loaded all the same.
NO_GUI = ("import runpy, sys\n"
          "sys.modules['gui'] = None  # import gui... raises ImportError, as in a build without gui/\n"
          "sys.argv = ['launcher.py', *sys.argv[1:]]\n"
          "try:\n"
          "    runpy.run_path('launcher.py', run_name='__main__')\n"
          "finally:\n"
          "    print('gui loaded:', sorted(m for m in sys.modules if m.startswith('gui.')))\n")


def _run_without_gui(tmp_path: Path, lang: str, *args: str) -> subprocess.CompletedProcess[str]:
    display = os.environ.get("DISPLAY") or ":0"  # a display is there: still no tray and no dialog without gui/
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LC_", "LANG"))}
    env.update(DISPLAY=display, LANG=lang, PYTHONUNBUFFERED="1")
    return subprocess.run([sys.executable, "-c", NO_GUI, *args, "--data-dir", str(tmp_path / "data")], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_the_cli_without_the_desktop_part_words_a_port_in_use_in_the_system_language(
        tmp_path: Path, lang: str) -> None:
    """A build without gui/ (launcher.py falls back to messenger.cli): even with a display it never tries the
    tray, and the failure is printed in the words the tray uses, from the operator catalog, in the system's
    language (it used to be one English line whatever the language)."""
    words = catalog(lang)
    with socket.socket() as busy:
        busy.bind(("0.0.0.0", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = _run_without_gui(tmp_path, "ko_KR.UTF-8" if lang == "ko" else "en_US.UTF-8", "--port", str(port))
    assert done.returncode == 2, done.stderr
    assert "gui loaded: []" in done.stdout
    lines = done.stderr.splitlines()
    assert lines[0] == words["startup.failure_title"], done.stderr
    assert lines[1] == words["startup.fail_port_in_use"].format(port=port)
    found = re.search(r"--port (\d+)", lines[2])  # the fix names a free port the server found
    assert found, done.stderr
    next_port = int(found.group(1))
    assert lines[2] == words["startup.fix_port_in_use_cli"].format(next_port=next_port) and next_port != port
    log = tmp_path / "data" / "logs" / "messenger.log"
    assert lines[3] == words["startup.log_at"].format(log=log)
    assert "Traceback" not in done.stderr and "Errno" not in done.stderr
    assert f"port {port} is already in use" in log.read_text(encoding="utf-8")  # the log keeps the English line


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_the_cli_without_the_desktop_part_words_a_bad_setting_in_the_system_language(
        tmp_path: Path, lang: str) -> None:
    words = catalog(lang)
    data = tmp_path / "data"
    data.mkdir()
    settings_file = data / "settings.toml"
    settings_file.write_text('SESSION_TIMEOUT_HOURS = "forever"\n', encoding="utf-8")
    done = _run_without_gui(tmp_path, "ko_KR.UTF-8" if lang == "ko" else "en_US.UTF-8", "--port", str(free_port()))
    assert done.returncode == 2, done.stderr
    assert "gui loaded: []" in done.stdout
    assert done.stderr.splitlines()[:3] == [
        words["startup.failure_title"],
        words["startup.fail_settings_invalid"].format(setting="SESSION_TIMEOUT_HOURS", path=settings_file),
        words["startup.fix_settings_invalid"],
    ], done.stderr
    assert "Traceback" not in done.stderr


def test_every_start_up_failure_code_has_words_in_both_catalogs() -> None:
    """failure_lines builds its keys from the code (``startup.fail_<code>``): each code the server can report
    has its own words, never the generic fallback, in Korean and in English."""
    from messenger.i18n import Texts
    from messenger.startup import StartupFailure, failure_lines

    codes = ("settings_invalid", "already_running", "port_in_use", "port_forbidden", "data_dir_unwritable",
             "secret_unreadable", "data_dir_elsewhere")
    params = {"setting": "X", "path": "/p", "port": 5000, "next_port": 5001, "user": "u", "owner": "o"}
    for lang in ("ko", "en"):
        t = Texts(lang)
        fallback = (t("startup.fail_start_failed"), t("startup.fix_start_failed"))
        for code in codes:
            what, fix = failure_lines(StartupFailure(code, params), t)
            assert what != fallback[0] and fix != fallback[1], (lang, code)
        assert failure_lines(StartupFailure("start_failed", {"detail": "boom"}), t) == fallback


def test_failures_are_classified_with_path_user_and_fix(tmp_path: Path) -> None:
    from messenger.datadir import DataDirBusy
    from messenger.settings import SettingsError
    from messenger.startup import StartupFailure, current_user, describe_failure

    f = describe_failure(SettingsError("X: bad", "X", "y"), tmp_path)
    assert f.code == "settings_invalid" and f.params["path"] == str(tmp_path / "settings.toml")
    assert describe_failure(DataDirBusy("busy"), tmp_path).code == "already_running"
    secret = tmp_path / "secret_key"
    secret.write_text("x")
    f = describe_failure(PermissionError(13, "Permission denied", str(secret)), tmp_path)
    assert f.code == "secret_unreadable" and f.params["user"] == current_user() and f.params["owner"]
    f = describe_failure(PermissionError(13, "Permission denied", str(tmp_path / "logs")), tmp_path)
    assert f.code == "data_dir_unwritable"
    f = describe_failure(RuntimeError("boom"), tmp_path)
    assert f.code == "start_failed" and isinstance(f, StartupFailure)
