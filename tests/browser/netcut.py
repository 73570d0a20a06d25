"""A TCP relay on loopback between one browser and the server, whose link a test cuts for real: every
connection through it is closed at once and new ones are refused, as when a cable is pulled or Wi-Fi
drops (Playwright's offline mode leaves open WebSockets alone). ``cut(pages=True)`` refuses only
Socket.IO (WebSocket and long-polling), so the page itself still loads while the live link stays down."""

from __future__ import annotations

import socket
import threading
from contextlib import suppress

SOCKET_IO = (b"GET /socket.io/", b"POST /socket.io/")


class CuttableLink:
    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._mode = "open"  # open | socketio_cut | cut
        self._lock = threading.Lock()
        self._open: set[socket.socket] = set()
        self._closed = False
        threading.Thread(target=self._accept, name="netcut-accept", daemon=True).start()

    # ---- the switch ------------------------------------------------------------------------------
    def cut(self, pages: bool = False) -> None:
        """Close every connection now; refuse all new ones, or (``pages``) only Socket.IO's."""
        with self._lock:
            self._mode = "socketio_cut" if pages else "cut"
            conns = list(self._open)
            self._open.clear()
        for s in conns:
            _close(s)

    def restore(self) -> None:
        with self._lock:
            self._mode = "open"

    def close(self) -> None:
        self._closed = True
        self.cut()
        _close(self._listener)

    # ---- the relay -------------------------------------------------------------------------------
    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _refused(self, chunk: bytes) -> bool:
        mode = self._mode
        return mode == "cut" or (mode == "socketio_cut" and any(s in chunk for s in SOCKET_IO))

    def _serve(self, client: socket.socket) -> None:
        if self._mode == "cut":
            _close(client)
            return
        try:
            upstream = socket.create_connection(("127.0.0.1", self.target_port), timeout=10)
            upstream.settimeout(None)
        except OSError:
            _close(client)
            return
        with self._lock:
            self._open.update((client, upstream))
        threading.Thread(target=self._pump, args=(upstream, client, False), daemon=True).start()
        self._pump(client, upstream, True)

    def _pump(self, src: socket.socket, dst: socket.socket, from_browser: bool) -> None:
        try:
            while True:
                chunk = src.recv(65536)
                # A request on a kept-alive connection is checked too (long-polling reuses them).
                if not chunk or (from_browser and self._refused(chunk)):
                    break
                dst.sendall(chunk)
        except OSError:
            pass
        finally:
            with self._lock:
                self._open.discard(src)
                self._open.discard(dst)
            _close(src)
            _close(dst)


def _close(s: socket.socket) -> None:
    with suppress(OSError):
        s.shutdown(socket.SHUT_RDWR)
    with suppress(OSError):
        s.close()
