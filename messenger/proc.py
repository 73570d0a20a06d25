"""Run helper programs from any thread of the gevent-patched launcher.

gevent's patched ``subprocess`` can only watch children from the main thread's hub; the tray's
worker thread (and the server thread) must not use it. These helpers use the standard library's own
``os.posix_spawnp`` and ``os.waitpid`` on POSIX, and plain ``subprocess`` on Windows.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from typing import Any


def original_os(name: str) -> Any:
    """``os.<name>`` as the standard library has it (gevent replaces some of them)."""
    try:
        from gevent import monkey

        return monkey.get_original("os", name)
    except ImportError:
        return getattr(os, name)


def run_captured(cmd: list[str], timeout: float = 60, env: dict[str, str] | None = None,
                 with_stderr: bool = True) -> tuple[int, str]:
    """Run ``cmd`` and return (exit code, stdout and stderr together, or stdout alone without
    ``with_stderr``). Raises OSError if it cannot start."""
    if sys.platform == "win32":
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)
        return done.returncode, (done.stdout or "") + (done.stderr or "" if with_stderr else "")
    with tempfile.TemporaryFile() as out:
        devnull = os.open(os.devnull, os.O_RDWR)
        try:
            actions = [(os.POSIX_SPAWN_DUP2, devnull, 0), (os.POSIX_SPAWN_DUP2, out.fileno(), 1),
                       (os.POSIX_SPAWN_DUP2, out.fileno() if with_stderr else devnull, 2)]
            pid = original_os("posix_spawnp")(cmd[0], cmd, dict(os.environ if env is None else env),
                                              file_actions=actions)
        finally:
            os.close(devnull)
        waitpid = original_os("waitpid")
        deadline = time.monotonic() + timeout
        while True:
            got, status = waitpid(pid, os.WNOHANG)
            if got == pid:
                break
            if time.monotonic() > deadline:
                os.kill(pid, 9)
                waitpid(pid, 0)
                raise TimeoutError(f"{cmd[0]} did not finish in {timeout:.0f} s")
            time.sleep(0.05)
        out.seek(0)
        return os.waitstatus_to_exitcode(status), out.read().decode("utf-8", errors="replace")
