"""The server under test for the browser tests: ``launcher.py --headless`` as a subprocess (monkey-patched
exactly as users run it), on a free port and a temporary data dir, with rate limits raised."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

from tests.services import free_port

ROOT = Path(__file__).resolve().parents[2]

RAISED_LIMITS = {
    "RATE_LIMIT_LOGIN": "1000/minute",
    "RATE_LIMIT_REGISTER": "1000/minute",
    "RATE_LIMIT_UPLOAD": "1000/minute",
    "RATE_LIMIT_SEARCH_ADVANCED": "1000/minute",
    "SOCKET_SEND_MESSAGE_PER_MINUTE": "10000",
}


class ServerProcess:
    """Start, stop and restart one launcher subprocess; the data dir and port survive a restart."""

    def __init__(self, data_dir: Path, port: int | None = None, env: dict[str, str] | None = None,
                 host: str = "127.0.0.1") -> None:
        self.data_dir = data_dir
        self.host = host
        self._fixed_port = port is not None
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.extra_env = env or {}
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path = data_dir.parent / f"server-{self.port}.log"
        self.root = ROOT  # the installed program; a test of an update starts another copy on the same data

    def _env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DISPLAY", "WAYLAND", "MESSENGER_"))}
        env.update(RAISED_LIMITS)
        env.update(self.extra_env)
        env["PYTHONUNBUFFERED"] = "1"
        return env

    def _launch(self) -> None:
        log = open(self.log_path, "ab")  # noqa: SIM115 - closed with the process
        self.proc = subprocess.Popen(
            [sys.executable, str(self.root / "launcher.py"), "--headless", "--host", self.host,
             "--port", str(self.port), "--data-dir", str(self.data_dir)],
            cwd=self.root, env=self._env(), stdout=log, stderr=subprocess.STDOUT,
        )
        log.close()

    def start(self, timeout: float = 180.0) -> None:
        """Launch and wait until ``/api/health`` answers. ``timeout`` only bounds a server that never comes up
        (under CPU stress a start takes far longer than the usual second or two). A first start whose free port
        another process took before the launcher bound it starts again on another port; a restart keeps its
        port (clients reconnect to the same address)."""
        self._launch()
        relaunches = 0
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc is not None
            if self.proc.poll() is not None:
                if not self._fixed_port and relaunches < 3 and _taken(self.port):
                    relaunches += 1
                    self.port = free_port()
                    self.url = f"http://127.0.0.1:{self.port}"
                    self._launch()
                    continue
                raise RuntimeError(f"server exited early:\n{self.log()}")
            try:
                if requests.get(self.url + "/api/health", timeout=1).status_code == 200:
                    self._fixed_port = True  # from now on the same address (clients reconnect to it)
                    return
            except requests.RequestException:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"server did not come up in {timeout:.0f} s:\n{self.log()}")

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)

    def restart(self) -> None:
        self.stop()
        self.start()

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-4000:]
        except OSError:
            return ""


def _taken(port: int) -> bool:
    """Whether something else listens on ``port`` now (the launcher lost the race for it)."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return True
    return False
