"""A throwaway ``redis-server`` (Debian) on a free loopback port, killable and restartable mid-test."""

from __future__ import annotations

import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.services import free_port, missing


class RedisServer:
    def __init__(self, binary: str) -> None:
        self.binary = binary
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="im-redis-"))
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        import redis

        self.proc = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--daemonize", "no", "--dir", str(self.dir), "--logfile", str(self.dir / "redis.log")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        client = redis.Redis(port=self.port, socket_connect_timeout=0.2)
        deadline = time.monotonic() + 30  # only a bound: it answers within a second unless it failed
        try:
            while True:
                try:
                    if client.ping():
                        return
                except redis.RedisError:
                    if time.monotonic() > deadline or self.proc.poll() is not None:
                        log = self.dir / "redis.log"
                        raise RuntimeError(f"redis-server did not start: {log.read_text()[-500:] if log.exists() else ''}"
                                           ) from None
                    time.sleep(0.02)
        finally:
            client.close()

    def kill(self) -> None:
        """Stop answering at once (SIGKILL), as a crashed Redis would."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        self.proc = None

    def pause(self) -> None:
        """Keep the port open but stop answering (SIGSTOP), as a hung Redis or a lost network would."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGCONT)

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.send_signal(signal.SIGCONT)
        self.kill()
        shutil.rmtree(self.dir, ignore_errors=True)


@contextmanager
def redis_server() -> Iterator[RedisServer]:
    binary = shutil.which("redis-server") or ("/usr/bin/redis-server" if Path("/usr/bin/redis-server").exists() else None)
    if binary is None:
        missing("redis-server")
        raise RuntimeError("unreachable")
    server = RedisServer(binary)
    for attempt in range(3):
        try:
            server.start()
            break
        except RuntimeError:
            # Another process may take the free port before redis-server binds it: try another one.
            server.kill()
            if attempt == 2:
                server.stop()
                raise
            server.port = free_port()
    try:
        yield server
    finally:
        server.stop()
