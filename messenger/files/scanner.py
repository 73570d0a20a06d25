"""A small clamd client (stdlib sockets): ``INSTREAM`` scanning and ``PING``.

Replies are mapped to ``clean`` (``stream: OK``), ``infected`` (``stream: <signature> FOUND``) or
``error`` (anything else: clamd down, timed out, size limit, garbled reply). Never ``clean`` on doubt.
Under the launcher the process is gevent-patched, so these sockets yield to the hub while waiting.
"""

from __future__ import annotations

import socket
import struct
import time
from dataclasses import dataclass
from pathlib import Path

CHUNK = 64 * 1024
MAX_REPLY = 4096


@dataclass(frozen=True)
class ScanResult:
    status: str  # clean | infected | error
    detail: str = ""


def _read_reply(sock: socket.socket, deadline: float) -> bytes:
    reply = b""
    while b"\0" not in reply and len(reply) < MAX_REPLY:
        sock.settimeout(max(0.05, deadline - time.monotonic()))
        part = sock.recv(1024)
        if not part:
            break
        reply += part
    return reply.split(b"\0", 1)[0]


def _parse(reply: bytes) -> ScanResult:
    text = reply.decode("utf-8", "replace").strip()
    if text.endswith("ERROR") or not text:
        return ScanResult("error", text[:200] or "empty reply from clamd")
    body = text.split(":", 1)[1].strip() if ":" in text else text
    if body == "OK":
        return ScanResult("clean")
    if body.endswith(" FOUND"):
        return ScanResult("infected", body[: -len(" FOUND")].strip()[:200])
    return ScanResult("error", text[:200])


def scan_file(path: Path, host: str, port: int, timeout: float) -> ScanResult:
    """Stream ``path`` to clamd with INSTREAM; the whole exchange must finish within ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    try:
        sock = socket.create_connection((host, port), timeout=min(timeout, 5.0))
    except OSError as exc:
        return ScanResult("error", f"clamd unreachable: {exc}"[:200])
    try:
        with sock, open(path, "rb") as fh:
            try:
                sock.settimeout(max(0.05, deadline - time.monotonic()))
                sock.sendall(b"zINSTREAM\0")
                while chunk := fh.read(CHUNK):
                    if time.monotonic() > deadline:
                        return ScanResult("error", "scan timed out")
                    sock.settimeout(max(0.05, deadline - time.monotonic()))
                    sock.sendall(struct.pack(">I", len(chunk)) + chunk)
                sock.sendall(struct.pack(">I", 0))
            except (BrokenPipeError, ConnectionResetError):
                pass  # clamd may hang up early (size limit): its reply says why
            return _parse(_read_reply(sock, deadline))
    except TimeoutError:
        return ScanResult("error", "scan timed out")
    except OSError as exc:
        return ScanResult("error", f"clamd connection failed: {exc}"[:200])


def ping(host: str, port: int, timeout: float = 1.0) -> bool:
    """True when clamd answers ``PONG``."""
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            sock.settimeout(timeout)
            sock.sendall(b"zPING\0")
            return _read_reply(sock, time.monotonic() + timeout) == b"PONG"
    except OSError:
        return False
