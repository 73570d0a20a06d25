"""The embedded server's TCP connections (real server in a thread, as the launcher runs it)."""

from __future__ import annotations

import gc
import socket
import time
from typing import Any
from urllib.parse import urlparse


def _server_sides(peer: tuple[str, int]) -> list[Any]:
    """The server's accepted socket objects whose remote end is ``peer``."""
    import gevent.socket

    found = []
    for obj in gc.get_objects():
        if isinstance(obj, gevent.socket.socket):
            try:
                if obj.getpeername() == peer:
                    found.append(obj)
            except OSError:
                continue
    return found


def test_connections_send_small_frames_without_nagle_delay(live_server: Any) -> None:
    """Every accepted connection has TCP_NODELAY: chat is small frames, and Nagle's algorithm would hold
    one back until the browser's delayed ACK (up to 40 ms) whenever another is unacknowledged."""
    url = urlparse(live_server.url)
    with socket.create_connection((url.hostname, url.port), timeout=5) as client:
        client.sendall(b"GET /api/health HTTP/1.1\r\nHost: x\r\n")  # unfinished: the handler holds the socket
        deadline = time.monotonic() + 30  # a loaded CI box: the handler may take a while to accept
        nodelay: list[int] = []
        while time.monotonic() < deadline:
            nodelay = [s.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) for s in _server_sides(client.getsockname())]
            if nodelay and all(nodelay):
                break
            time.sleep(0.05)
        assert nodelay and all(nodelay), nodelay
        client.sendall(b"\r\n")
        assert client.recv(64).startswith(b"HTTP/1.1 200")
