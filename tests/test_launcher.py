"""The launcher as a user runs it: a subprocess, monkey-patched, headless."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests

from tests.helpers import LiveUser
from tests.services import free_port

ROOT = Path(__file__).resolve().parents[1]


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISPLAY", "WAYLAND", "LC_"))}
    env["LANG"] = "en_US.UTF-8"
    env["MESSENGER_DATA_DIR"] = str(tmp_path / "data")
    env["PYTHONUNBUFFERED"] = "1"
    return env


def start_launcher(tmp_path: Path, *args: str) -> tuple[subprocess.Popen[str], int]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "launcher.py"), "--host", "0.0.0.0", "--port", str(port), *args],
        cwd=ROOT, env=_env(tmp_path), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if requests.get(f"http://127.0.0.1:{port}/api/health", timeout=1).status_code == 200:
                return proc, port
        except requests.RequestException:
            time.sleep(0.1)
        if proc.poll() is not None:
            raise AssertionError(proc.stdout.read() if proc.stdout else "launcher exited")
    proc.kill()
    raise AssertionError("launcher did not come up")


def test_headless_serves_prints_lan_urls_and_stops_cleanly(tmp_path: Path) -> None:
    proc, port = start_launcher(tmp_path, "--headless")
    try:
        kim = LiveUser(f"http://127.0.0.1:{port}", "kim")
        sock = kim.socket()
        assert sock.client.transport() == "websocket"
        assert sock.call("set_presence", {"presence": "online"})["ok"] is True
        # A second server on the same data dir refuses to start with a clear message.
        second = subprocess.run(
            [sys.executable, str(ROOT / "launcher.py"), "--headless", "--port", str(free_port())],
            cwd=ROOT, env=_env(tmp_path), capture_output=True, text=True, timeout=60,
        )
        assert second.returncode == 2
        assert "Another Intranet Messenger server already uses the data folder" in second.stderr
        assert str(tmp_path / "data") in second.stderr and "Traceback" not in second.stderr
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=20)
        sock.wait_for("server_shutdown", timeout=5)
        sock.disconnect()
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, out
    assert f":{port}" in out
    urls = re.findall(r"http://([\d.]+):\d+", out)
    assert any(not u.startswith("127.") for u in urls) or "127.0.0.1" in urls
    assert "Stopped." in out


def test_without_desktop_falls_back_to_headless(tmp_path: Path) -> None:
    proc, port = start_launcher(tmp_path)
    try:
        assert requests.get(f"http://127.0.0.1:{port}/api/health", timeout=5).json()["status"] == "ok"
    finally:
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=20)
    assert proc.returncode == 0, out


def test_create_user_cli_and_version(tmp_path: Path) -> None:
    run = subprocess.run(
        [sys.executable, str(ROOT / "launcher.py"), "create-user", "boss", "--admin", "--password-stdin"],
        cwd=ROOT, env=_env(tmp_path), input="very-secret-1\n", capture_output=True, text=True, timeout=60,
    )
    assert run.returncode == 0, run.stderr
    assert "boss" in run.stdout and "server admin" in run.stdout
    weak = subprocess.run(
        [sys.executable, str(ROOT / "launcher.py"), "create-user", "weak", "--password-stdin"],
        cwd=ROOT, env=_env(tmp_path), input="x\n", capture_output=True, text=True, timeout=60,
    )
    assert weak.returncode == 1 and "weak_password" in weak.stderr
    proc, port = start_launcher(tmp_path, "--headless")
    try:
        r = requests.post(f"http://127.0.0.1:{port}/api/login", json={"username": "boss", "password": "very-secret-1"},
                          timeout=5)
        assert r.status_code == 200 and r.json()["user"]["is_admin"] is True
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=20)
    version = subprocess.run([sys.executable, str(ROOT / "launcher.py"), "--version"], cwd=ROOT,
                             capture_output=True, text=True, timeout=30)
    assert re.search(r"\d+\.\d+\.\d+", version.stdout)


def test_bad_setting_stops_startup_naming_the_setting_and_the_fix(tmp_path: Path) -> None:
    env = _env(tmp_path)
    env["DEFAULT_PORT"] = "lots"
    run = subprocess.run([sys.executable, str(ROOT / "launcher.py"), "--headless"], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 2
    assert run.stderr.splitlines() == [
        "Intranet Messenger could not start",
        "The environment variable DEFAULT_PORT has a value the server cannot use.",
        "Fix or remove that variable, then start again. The log has the details.",
        f"Log: {tmp_path / 'data' / 'logs' / 'messenger.log'}"]
    assert "expected an integer" in (tmp_path / "data" / "logs" / "messenger.log").read_text(encoding="utf-8")




LEAN_IMPORT_PROBE = """
import json, sys
from gevent import monkey
monkey.patch_all(thread=False, queue=False)
from messenger.server import import_socketio_for_server
import_socketio_for_server(sys.argv[1])
import socketio.redis_manager
loaded = {name: name in sys.modules for name in ("requests", "redis", "aiohttp", "websocket")}
import requests  # what a feature imports later (Authlib for OIDC) still loads
print(json.dumps({"loaded": loaded, "requests_later": requests.get is not None,
                  "redis_manager_has_redis": socketio.redis_manager.redis is not None}))
"""


def test_the_launchers_process_keeps_socketio_client_libraries_out_unless_redis_is_the_queue() -> None:
    """The launcher's server imports python-socketio without its clients' libraries (memory, start-up
    time); with a Redis message queue, python-socketio's Redis manager still gets redis-py."""
    import json

    def probe(queue: str) -> dict[str, object]:
        run = subprocess.run([sys.executable, "-c", LEAN_IMPORT_PROBE, queue], cwd=ROOT,
                             capture_output=True, text=True, timeout=120)
        assert run.returncode == 0, run.stderr
        return dict(json.loads(run.stdout.strip().splitlines()[-1]))

    single = probe("")
    assert single["loaded"] == {"requests": False, "redis": False, "aiohttp": False, "websocket": False}
    assert single["requests_later"] is True and single["redis_manager_has_redis"] is False
    scaled = probe("redis://127.0.0.1:6379/0")
    assert scaled["loaded"]["redis"] is True and scaled["loaded"]["requests"] is False
    assert scaled["redis_manager_has_redis"] is True


READY_PROBE = r"""
import json, sys
from gevent import monkey
monkey.patch_all(thread=False, queue=False)
from messenger import server

class Ready:  # the runner's ready event: what is loaded at the moment the server listens
    def __init__(self, event):
        self.event = event
    def set(self):
        print(json.dumps({m: m in sys.modules for m in ("zeroconf", "psutil")}), file=sys.stderr, flush=True)
        self.event.set()
    def __getattr__(self, name):
        return getattr(self.event, name)

init = server.ServerRunner.__init__
def patched(self, *args, **kwargs):
    init(self, *args, **kwargs)
    self._ready = Ready(self._ready)
server.ServerRunner.__init__ = patched
from messenger.cli import main
sys.exit(main(sys.argv[1:]))
"""


def test_headless_listens_before_mdns_and_the_address_check_load_and_still_warns_of_a_changed_address(
        tmp_path: Path) -> None:
    """zeroconf (mDNS) and psutil (the LAN addresses) load once the server listens, not on the way to its
    first answer; the console still warns that the PC's address changed, before its URLs."""
    import json

    data = tmp_path / "data"
    data.mkdir()
    (data / "lan.json").write_text(json.dumps({"addresses": ["10.255.255.254"]}), encoding="utf-8")
    proc = subprocess.Popen([sys.executable, "-c", READY_PROBE, "--headless", "--host", "0.0.0.0",
                             "--port", str(free_port())], cwd=ROOT, env=_env(tmp_path),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        lines: list[str] = []
        assert proc.stdout is not None
        for line in proc.stdout:  # until the console says how to stop it
            lines.append(line)
            if "Ctrl+C" in line:
                break
        proc.send_signal(signal.SIGTERM)
        rest, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    out = "".join(lines)
    assert proc.returncode == 0, out + rest + err
    loaded = json.loads(next(line for line in err.splitlines() if line.startswith("{")))
    assert loaded == {"zeroconf": False, "psutil": False}
    assert "address changed (10.255.255.254 ->" in out
    assert out.index("address changed") < out.index("http://")
