"""A real clamd on loopback for the tests, with a tiny generated signature database.

No internet (no freshclam): the database folder holds an MD5 hash signature and a body signature
of the EICAR test string. The EICAR bytes are put together at run time from two halves so that no
file in the repository trips a developer's virus scanner.
"""

from __future__ import annotations

import hashlib
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.services import free_port, missing

_EICAR_HEAD = "X5O!P%@AP[4\\PZX54(P^)7CC)7}$"
_EICAR_TAIL = "EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"


def eicar() -> bytes:
    """The 68-byte EICAR anti-virus test file."""
    return (_EICAR_HEAD + _EICAR_TAIL).encode("ascii")


@dataclass
class Clamd:
    host: str
    port: int
    proc: subprocess.Popen[bytes]
    directory: Path

    def ping(self, timeout: float = 0.5) -> bool:
        try:
            with socket.create_connection((self.host, self.port), timeout=timeout) as sock:
                sock.settimeout(timeout)
                sock.sendall(b"zPING\0")
                return sock.recv(16).startswith(b"PONG")
        except OSError:
            return False

    def pause(self) -> None:
        """Freeze clamd (it accepts connections in the kernel but never answers): a hung scanner."""
        self.proc.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        self.proc.send_signal(signal.SIGCONT)


def _write_config(directory: Path, port: int) -> Path:
    db = directory / "db"
    db.mkdir()
    data = eicar()
    (db / "test.hdb").write_text(f"{hashlib.md5(data).hexdigest()}:{len(data)}:Eicar-Test-Signature.HDB\n")
    body = _EICAR_TAIL.split("!")[0].encode().hex()  # the EICAR text anywhere in a file
    (db / "test.ndb").write_text(f"Eicar-Test-Signature.NDB:0:*:{body}\n")
    conf = directory / "clamd.conf"
    conf.write_text("\n".join([
        "Foreground yes",
        f"DatabaseDirectory {db}",
        f"TCPSocket {port}",
        "TCPAddr 127.0.0.1",
        f"PidFile {directory / 'clamd.pid'}",
        f"LogFile {directory / 'clamd.log'}",
        "MaxThreads 4",
        "StreamMaxLength 25M",
        "SelfCheck 0",
        "",
    ]))
    return conf


@pytest.fixture(scope="session")
def clamd() -> Iterator[Clamd]:
    """clamd started once per test session on a free loopback port; stopped at the end."""
    binary = shutil.which("clamd") or ("/usr/sbin/clamd" if Path("/usr/sbin/clamd").exists() else None)
    if binary is None:
        missing("clamd (Debian package clamav-daemon)")
    directory = Path(tempfile.mkdtemp(prefix="im-clamd-"))
    port = free_port()
    conf = _write_config(directory, port)
    proc = subprocess.Popen([binary, "--config-file", str(conf)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    daemon = Clamd("127.0.0.1", port, proc, directory)
    deadline = time.monotonic() + 60
    while not daemon.ping():
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
            log = (directory / "clamd.log").read_text(errors="replace") if (directory / "clamd.log").exists() else ""
            pytest.fail(f"clamd did not start: {err[-500:]} {log[-500:]}")
        time.sleep(0.05)
    yield daemon
    daemon.resume()
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)
    shutil.rmtree(directory, ignore_errors=True)
