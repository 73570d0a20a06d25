"""The release artifact: ``python build/build.py`` builds the one-file binary from a clean venv and
smoke-tests it (health, two users, a message over WebSocket, an upload, backup + verify through the
binary, SIGTERM with nothing left behind). The same binary then runs on PostgreSQL.

Takes about 2-3 minutes on a 2-core machine (most of it PyInstaller; the build venv is rebuilt only
when requirements change, and always in a fresh clone).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
BUILD_TIMEOUT = 1500

pytestmark = [pytest.mark.binary, pytest.mark.slow, pytest.mark.timeout(BUILD_TIMEOUT + 300)]


def _tail(text: str, n: int = 6000) -> str:
    return text[-n:]


@pytest.fixture(scope="module")
def build_report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    report = tmp_path_factory.mktemp("build") / "report.json"
    run = subprocess.run([sys.executable, str(ROOT / "build" / "build.py"), "--report", str(report)],
                         cwd=ROOT, capture_output=True, text=True, timeout=BUILD_TIMEOUT)
    assert run.returncode == 0, _tail(run.stdout + "\n" + run.stderr)
    data: dict[str, Any] = json.loads(report.read_text(encoding="utf-8"))
    print(run.stdout[run.stdout.rfind("artifact:"):])  # the summary, shown with -s / on failure
    return data


def test_one_file_binary_passes_its_smoke_test(build_report: dict[str, Any]) -> None:
    from messenger.version import __version__

    assert build_report["ok"] is True
    binary = ROOT / build_report["artifact"]
    assert binary.is_file() and __version__ in binary.name
    smoke = build_report["smoke"]
    steps = [s["step"] for s in smoke["steps"]]
    assert steps[:4] == ["version", "health", "register", "websocket"]
    assert steps[-2:] == ["sigterm", "restart"]
    websocket = next(s for s in smoke["steps"] if s["step"] == "websocket")
    if smoke["features"]["messaging"]:
        assert websocket["event"] == "send_message" and websocket["received_by"] == "bob"
    assert ("upload" in steps) == smoke["features"]["files"]
    assert ("backup+verify" in steps) == smoke["features"]["backup"]
    # The goals (< 50 MB; < 3 s to /api/health) are reported by build.py and docs/PERFORMANCE.md;
    # here only the size (deterministic) is held to it; start-up just has to finish (a first start took
    # 20.6 s on a CI box at load average ~19, so no timing is asserted beyond a sanity bound).
    assert build_report["size_bytes"] < 50_000_000, build_report["size_bytes"]
    assert smoke["startup_first_s"] < 120 and smoke["startup_restart_s"] < 120


def test_the_binary_runs_on_postgresql(build_report: dict[str, Any], request: pytest.FixtureRequest,
                                       tmp_path: Path) -> None:
    """psycopg's binary build and the PostgreSQL dialect are loaded by name: only a real run proves them."""
    if request.config.getoption("--db") == "sqlite":
        pytest.skip("PostgreSQL run needs --db=postgres or --db=both")
    cluster = request.getfixturevalue("pg_cluster")
    url = cluster.url(cluster.create_database())  # empty: the binary runs every migration itself
    out = tmp_path / "pg-smoke.json"
    run = subprocess.run([sys.executable, str(ROOT / "build" / "smoke.py"), "--binary",
                          str(ROOT / build_report["artifact"]), "--database-url", url, "--json", str(out),
                          "--restarts", "1"],  # start-up is timed by the SQLite run
                         cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, _tail(run.stdout + "\n" + run.stderr)
    result = json.loads(out.read_text(encoding="utf-8"))
    assert result["ok"] is True
    assert "websocket" in [s["step"] for s in result["steps"]]


def test_linux_install_script_installs_and_removes_the_binary(build_report: dict[str, Any], tmp_path: Path) -> None:
    if not sys.platform.startswith("linux"):
        pytest.skip("installer/linux/install.sh is for Linux")
    import os

    env = {**os.environ, "DESTDIR": str(tmp_path / "root")}
    script = ROOT / "installer" / "linux" / "install.sh"
    run = subprocess.run(["sh", str(script), "--service", str(ROOT / build_report["artifact"])], env=env,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    root = tmp_path / "root"
    program = root / "opt" / "intranet-messenger" / "intranet-messenger"
    version = subprocess.run([str(program), "--version"], capture_output=True, text=True, timeout=60)
    assert build_report["version"] in version.stdout
    assert (root / "usr/share/applications/intranet-messenger.desktop").is_file()
    assert (root / "usr/share/icons/hicolor/256x256/apps/intranet-messenger.png").is_file()
    assert (root / "etc/systemd/system/intranet-messenger.service").is_file()
    data = root / "var" / "lib" / "intranet-messenger"
    data.mkdir(parents=True)
    (data / "messenger.db").write_text("keep me")
    run = subprocess.run(["sh", str(script), "--uninstall"], env=env, capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stdout + run.stderr
    assert not program.exists() and not (root / "etc/systemd/system/intranet-messenger.service").exists()
    assert (data / "messenger.db").read_text() == "keep me"  # data kept unless --purge
    run = subprocess.run(["sh", str(script), "--uninstall", "--purge"], env=env, capture_output=True, text=True,
                         timeout=60)
    assert run.returncode == 0 and not data.exists()


def test_the_binary_shows_its_tray_icon_on_an_x_desktop(build_report: dict[str, Any], tmp_path: Path) -> None:
    """Default mode (no --headless) with a display and a tray manager: the binary docks its icon and the
    server answers. The build venv holds only requirements.txt (no PyGObject), so with the system's
    ``python3-gi`` (Debian 12: the same Python 3.11 ABI) the binary loads that one and has the GTK menu:
    a real right click opens it and "Back up now", chosen in it, makes a backup. SIGTERM ends it."""
    import os
    import shutil
    import signal
    import time

    import requests

    from tests.ops.test_tray_linux_menu import _menu_windows, _open_menu, _quit, _wait
    from tests.services import free_port, missing, x_display_with_tray_panel

    if not sys.platform.startswith("linux"):
        pytest.skip("X11 tray check")
    for tool in ("Xvfb", "trayer", "xdotool", "xwininfo", "dbus-run-session"):
        if shutil.which(tool) is None:
            missing(tool)
    system_gi = Path("/usr/lib/python3/dist-packages/gi").is_dir()
    if not system_gi:
        missing("python3-gi (Debian)")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MESSENGER_", "WAYLAND", "XDG_", "PYSTRAY"))}
    env.update({"MDNS_ENABLED": "false", "TMPDIR": str(tmp_path), "NO_AT_BRIDGE": "1",
                "XDG_DATA_HOME": str(tmp_path / "xdg-data"), "XDG_CONFIG_HOME": str(tmp_path / "xdg-config")})
    with x_display_with_tray_panel(env) as display:
        env["DISPLAY"] = display
        app = None
        port = free_port()
        log = tmp_path / "tray.log"
        data = tmp_path / "data"
        try:
            with open(log, "wb") as out:
                app = subprocess.Popen(["dbus-run-session", "--", str(ROOT / build_report["artifact"]), "--host",
                                        "127.0.0.1", "--port", str(port), "--data-dir", str(data)], env=env,
                                       stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
            deadline = time.monotonic() + 60
            docked = healthy = False
            while time.monotonic() < deadline and not (docked and healthy) and app.poll() is None:
                try:
                    healthy = requests.get(f"http://127.0.0.1:{port}/api/health", timeout=1).status_code == 200
                except requests.RequestException:
                    healthy = False
                docked = _icon_pixels(display) > 50
                time.sleep(0.2)
            output = log.read_text(errors="replace")
            assert healthy, output
            assert docked and "headless" not in output, f"no tray icon docked; the binary said:\n{output}"
            assert "using the system's PyGObject" in (data / "logs" / "messenger.log").read_text()
            _open_menu(display, app, log)
            for key in ("Down", "Down", "Down", "Down", "Return"):  # past the disabled lines: Back up now
                subprocess.run(["xdotool", "key", key], env=env, check=True, timeout=10)
            _wait(lambda: [p for p in (data / "backups").glob("*") if (p / "manifest.json").exists()], 60,
                  "a backup from the binary's menu", app, log)
            _wait(lambda: not _menu_windows(display), 10, "the menu closing", app, log)
            _quit(app)
            assert app.returncode == 0, log.read_text(errors="replace")
            assert not list(tmp_path.glob("_MEI*"))
        finally:
            if app is not None and app.poll() is None:
                os.killpg(app.pid, signal.SIGKILL)
                app.wait(10)


def _icon_pixels(display: str) -> int:
    """Pixels of the icon's square (any state colour) in trayer's panel at the top right."""
    from PIL import ImageGrab

    from gui.icons import STATE_COLOURS

    colours = {c[:3] for c in STATE_COLOURS.values()}
    shot = ImageGrab.grab(xdisplay=display).convert("RGB")
    return sum(1 for x in range(600, 800) for y in range(0, 60) if shot.getpixel((x, y)) in colours)


def test_the_binary_runs_with_redis(build_report: dict[str, Any], tmp_path: Path) -> None:
    """Redis state store, rate-limit storage and Socket.IO message queue: redis-py, limits' Redis storage
    and python-socketio's Redis manager are all picked by URL at run time."""
    import os

    from tests.admin.redis_server import redis_server

    out = tmp_path / "redis-smoke.json"
    with redis_server() as redis:
        env = {**os.environ, "STATE_STORE_REDIS_URL": redis.url, "RATE_LIMIT_STORAGE_URI": redis.url,
               "SOCKETIO_MESSAGE_QUEUE": redis.url}
        run = subprocess.run([sys.executable, str(ROOT / "build" / "smoke.py"), "--binary",
                              str(ROOT / build_report["artifact"]), "--json", str(out), "--restarts", "1"],
                             cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, _tail(run.stdout + "\n" + run.stderr)
    result = json.loads(out.read_text(encoding="utf-8"))
    assert result["ok"] is True and result["health"]["redis"] == "ok", result.get("health")
    assert "websocket" in [s["step"] for s in result["steps"]]
