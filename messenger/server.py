"""Run the app on gevent's WSGI server in a background thread (the tray owns the main thread).

The process must have called ``gevent.monkey.patch_all(thread=False)`` first (``launcher.py`` does).
The server thread gets its own gevent hub; other threads talk to it only through
``loop.run_callback_threadsafe`` (see :meth:`ServerRunner.call`), never by calling into it directly.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import sys
import threading
from collections.abc import Callable
from typing import Any

from messenger.datadir import DataDirLock, load_or_create_secret, prepare_data_dir
from messenger.settings import Settings

log = logging.getLogger("messenger.server")


class ServerError(RuntimeError):
    pass


# Client libraries python-socketio and python-engineio import when they are imported, each inside
# ``try: import … except ImportError`` (their clients and the Redis manager work without the others).
# A server process uses none of their clients: requests (engine.io's polling client), websocket-client
# and aiohttp (its WebSocket and asyncio clients); redis only for the Redis message queue.
SOCKETIO_CLIENT_LIBRARIES = ("requests", "websocket", "aiohttp")


def import_socketio_for_server(message_queue: str = "") -> None:
    """Import Flask-SocketIO without the client libraries a server never uses (~12 MB and ~0.1 s CPU
    in the binary, ~20 MB and ~0.2 s from a dev venv with aiohttp; docs/PERFORMANCE.md).

    For the launcher's own process only: the names are hidden from the import system (a ``None``
    entry in ``sys.modules`` makes ``import`` raise ImportError) just while python-socketio loads, so
    its optional client parts stay off; anything imported later (Authlib's ``requests`` for OIDC, the
    Redis state store) loads as usual. ``redis`` stays visible when the Socket.IO message queue is
    Redis. A no-op once python-socketio is loaded (e.g. in a test process with its own clients).
    """
    if "socketio" in sys.modules:
        return
    hidden = [*SOCKETIO_CLIENT_LIBRARIES, *(() if message_queue else ("redis",))]
    hidden = [name for name in hidden if name not in sys.modules]
    for name in hidden:
        sys.modules[name] = None  # type: ignore[assignment]  # None is the import system's "not importable" mark
    try:
        import flask_socketio  # noqa: F401  (loaded here so the names above stay hidden from it)
    finally:
        for name in hidden:
            if name in sys.modules and sys.modules[name] is None:
                del sys.modules[name]


def _handler_class() -> Any:
    """gevent's WSGI handler, taught that a WebSocket takes the connection over.

    simple-websocket works on a duplicate of the socket; without this, once the WebSocket ends
    pywsgi would read the leftover frames as a new HTTP request and keep the TCP connection open
    (clients then wait seconds for the close).
    """
    from gevent.pywsgi import WSGIHandler

    class WebSocketAwareHandler(WSGIHandler):
        def handle(self) -> None:
            # Chat is many small writes: without TCP_NODELAY, Nagle's algorithm holds a frame back
            # until the client's delayed ACK (up to 40 ms on Linux) whenever one is still unacknowledged.
            with contextlib.suppress(OSError, AttributeError):
                self.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            super().handle()

        def run_application(self) -> None:
            environ, application = self.environ, self.application
            assert environ is not None and application is not None  # pywsgi sets both before this runs
            if environ.get("HTTP_UPGRADE", "").lower() != "websocket":
                return super().run_application()
            self.close_connection = True
            answered: list[bool] = []

            def start_response(status: str, headers: Any, exc_info: Any = None) -> Any:
                answered.append(True)
                return self.start_response(status, headers, exc_info)

            self.result = application(environ, start_response)
            try:
                if answered:  # an ordinary HTTP answer (e.g. the upgrade was refused)
                    self.process_result()
                else:  # the WebSocket ran and is over: nothing more to write
                    self.status = "101 Switching Protocols"
            finally:
                close = getattr(self.result, "close", None)
                if close is not None:
                    close()
                self.result = None

    return WebSocketAwareHandler


class ServerRunner:
    """Start, stop and talk to the embedded server. ``start()`` returns once it accepts connections."""

    def __init__(self, settings: Settings, host: str | None = None, port: int | None = None,
                 lock_data_dir: bool = True, announce: bool = False, settle_gc: bool = False,
                 lean_imports: bool = False) -> None:
        if not settings.SECRET_KEY:
            prepare_data_dir(settings.data_dir)
            settings = settings.replace(SECRET_KEY=load_or_create_secret(settings.data_dir))
        self.settings = settings
        self.host = host if host is not None else settings.HOST
        self.requested_port = settings.DEFAULT_PORT if port is None else port
        self.port: int | None = None
        self.https_port: int | None = None
        self.app: Any = None
        self.error: BaseException | None = None
        self._lock = DataDirLock(settings.data_dir) if lock_data_dir else None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._stopped = threading.Event()
        self._hub: Any = None
        self._stop_event: Any = None
        self.announce = announce  # mDNS announcement (the launcher turns it on; MDNS_ENABLED setting)
        self.settle_gc = settle_gc  # process-wide GC tuning (the launcher's process only, never tests)
        self.lean_imports = lean_imports  # import_socketio_for_server (the launcher's process only)
        # How to run that collection: the GTK tray runs it on its own thread, since collecting GTK's
        # objects from another thread while GTK draws crashed the process.
        self.run_gc: Callable[[Callable[[], None]], None] = lambda fn: fn()
        self.address_change: tuple[list[str], list[str]] | None = None  # set by the launcher for the tray
        self._advertiser: Any = None
        self.setup_code: str | None = None  # the first run's one-time code while no admin exists
        self.restarting = threading.Event()  # a restore stops and starts the server: not the end of it
        self.restart_listeners: list[Callable[[bool], None]] = []  # the tray: told before the stop, after the start

    def set_restarting(self, on: bool) -> None:
        """Mark a restore's stop-and-start (``on``) and its end, telling the listeners at once (in this
        thread, before the server stops), so nothing shows "running" while it is away."""
        (self.restarting.set if on else self.restarting.clear)()
        for listener in list(self.restart_listeners):
            try:
                listener(on)
            except Exception:
                log.exception("a restart listener failed")

    # ---- public API (any thread) -------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive() and self._ready.is_set() and self.error is None

    @property
    def scheme(self) -> str:
        return "https" if (self.settings.tls_enabled or self.settings.local_ca_https) else "http"

    @property
    def public_port(self) -> int | None:
        """The port browsers should use (the HTTPS one when local-CA HTTPS is on)."""
        return self.https_port if self.settings.local_ca_https else self.port

    @property
    def local_url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.public_port}"

    def start(self, timeout: float = 60) -> None:
        if self._thread is not None and self._thread.is_alive():
            raise ServerError("server already running")
        if self._lock is not None:
            prepare_data_dir(self.settings.data_dir)
            self._lock.acquire()
        if self.settings.local_ca_https:
            from messenger.lan.certs import ensure_server_cert  # cryptography only with local-CA HTTPS

            paths = ensure_server_cert(self.settings.data_dir)
            self.settings = self.settings.replace(TLS_CERT_FILE=str(paths.server_cert),
                                                  TLS_KEY_FILE=str(paths.server_key))
        self.error = None
        self._ready.clear()
        self._stopped.clear()
        self._thread = threading.Thread(target=self._run, name="messenger-server", daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout):
            raise ServerError("server did not start in time")
        if self.error is not None:
            self._release_lock()
            raise ServerError(f"server failed to start: {self.error}") from self.error
        if self.announce and self.settings.MDNS_ENABLED and self.public_port:
            self._start_announcing()

    def _start_announcing(self) -> None:
        from messenger.lan.discovery import Advertiser  # zeroconf only when announcing

        try:
            self._advertiser = Advertiser(int(self.public_port or 0), self.scheme)
            self._advertiser.start()
        except Exception as exc:  # discovery is a convenience; never block the server on it
            log.warning("mDNS announcement failed: %s", exc)
            self._advertiser = None

    def stop(self, timeout: float = 15) -> None:
        """Stop gracefully: sockets told and closed, jobs stopped, database closed, port freed."""
        thread = self._thread
        if thread is None:
            return
        if self._advertiser is not None:
            try:
                self._advertiser.stop()
            except Exception:
                log.exception("mDNS stop failed")
            self._advertiser = None
        if self._hub is not None and self._stop_event is not None and thread.is_alive():
            self._hub.loop.run_callback_threadsafe(self._stop_event.set)
        thread.join(timeout)
        self._thread = None
        self._release_lock()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the server thread ended."""
        return self._stopped.wait(timeout)

    def call(self, fn: Callable[..., Any], *args: Any, timeout: float = 60) -> Any:
        """Run ``fn(*args)`` in the server's hub and return its result (thread-safe hand-off)."""
        if self._hub is None or not self.running:
            raise ServerError("server is not running")
        done = threading.Event()
        box: dict[str, Any] = {}

        def runner() -> None:
            try:
                box["result"] = fn(*args)
            except BaseException as exc:  # handed back to the caller
                box["error"] = exc
            finally:
                done.set()

        def spawn() -> None:
            import gevent

            gevent.spawn(runner)

        self._hub.loop.run_callback_threadsafe(spawn)
        if not done.wait(timeout):
            raise ServerError("server did not answer in time")
        if "error" in box:
            raise box["error"]
        return box.get("result")

    def current_setup_code(self) -> str | None:
        """The setup code while no server admin exists (None once one does, or when stopped)."""
        from messenger.accounts.setup import ensure_setup_code  # the app's code loads with the app (see _run)

        if not self.running:
            return None
        self.setup_code = self.call(lambda: ensure_setup_code(self.services()), timeout=10)
        return self.setup_code

    def setup_url(self) -> str | None:
        """``/setup?code=…`` on this PC while no admin exists, else None."""
        code = self.current_setup_code()
        return f"{self.local_url}/setup?code={code}" if code else None

    def services(self) -> Any:
        from messenger.app import get_services

        return get_services(self.app)

    # ---- the server thread -------------------------------------------------------------------
    def _release_lock(self) -> None:
        if self._lock is not None:
            self._lock.release()

    def _run(self) -> None:
        import gevent
        import gevent.event
        from gevent.pool import Pool  # stop() can end the connections only of a pool it knows
        from gevent.pywsgi import WSGIServer

        if self.lean_imports:
            import_socketio_for_server(self.settings.SOCKETIO_MESSAGE_QUEUE)
        # The app and its features load in the server thread, when it starts (the tray is up before).
        from messenger.accounts.setup import ensure_setup_code
        from messenger.app import create_app, get_services

        server = None
        redirect = None
        svc = None
        try:
            self._hub = gevent.get_hub()
            self._stop_event = gevent.event.Event()
            self.app = create_app(self.settings)
            svc = get_services(self.app)
            self.setup_code = ensure_setup_code(svc)
            if self.settle_gc:
                from messenger.memtune import settle_gc

                self.run_gc(settle_gc)
            ssl_args: dict[str, Any] = {}
            if self.settings.tls_enabled:
                ssl_args = {"certfile": self.settings.TLS_CERT_FILE, "keyfile": self.settings.TLS_KEY_FILE}
            error_log = logging.getLogger("messenger.wsgi")
            if self.settings.local_ca_https:
                from messenger.lan.https import RedirectToHttps  # only with local-CA HTTPS

                server = WSGIServer((self.host, self.settings.HTTPS_PORT), self.app, log=None,
                                    handler_class=_handler_class(), error_log=error_log, spawn=Pool(), **ssl_args)
                server.start()
                self.https_port = server.server_port
                redirect = WSGIServer((self.host, self.requested_port), RedirectToHttps(self.app, lambda: self.https_port),
                                      log=None, handler_class=_handler_class(), error_log=error_log, spawn=Pool())
                redirect.start()
                self.port = redirect.server_port
            else:
                server = WSGIServer((self.host, self.requested_port), self.app, log=None,
                                    handler_class=_handler_class(), error_log=error_log, spawn=Pool(), **ssl_args)
                server.start()
                self.port = server.server_port
            svc.server = self
            svc.jobs.start()
            log.info("server listening on %s:%s", self.host, self.port)
        except BaseException as exc:
            self.error = exc
            log.error("server failed to start: %s", exc)
            self._ready.set()
            self._cleanup(server, svc, redirect)
            return
        self._ready.set()
        try:
            self._stop_event.wait()
            log.info("server stopping")
            self._shutdown(server, svc)
        finally:
            self._cleanup(None, svc, redirect)

    def _shutdown(self, server: Any, svc: Any) -> None:
        svc.jobs.stop()
        # Stop listening first: clients told to leave must not reconnect to this closing server while
        # its sockets are being closed (they would be dropped again a moment later). Open connections
        # keep working until they are closed below.
        try:
            server.close()
        except Exception:
            log.exception("closing the listening socket failed")
        try:
            svc.socketio.emit("server_shutdown", {})
            svc.socketio.sleep(0.3)  # let the queued packets reach the clients before closing
            for sid in list(svc.realtime.sockets):
                svc.socketio.server.disconnect(sid, namespace="/")
        except Exception:
            log.exception("closing sockets failed")
        svc.realtime.stopped()  # e.g. the last-seen writes of those sockets, in one statement
        server.stop(timeout=3)

    def _cleanup(self, server: Any, svc: Any, redirect: Any = None) -> None:
        for srv in (server, redirect):
            if srv is not None:
                try:
                    srv.stop(timeout=1)
                except Exception:
                    pass
        if svc is not None:
            close_state = getattr(svc.state, "close", None)
            if close_state is not None:
                close_state()
            svc.db.dispose()
        hub, self._hub = self._hub, None
        if hub is not None:
            # The thread's hub and its event loop end with the thread, destroyed here, in their own
            # thread: left to the garbage collector, a later collection on another thread (after a
            # failed start the tray starts a new runner) crashed the process.
            hub.destroy(destroy_loop=True)
        self._stopped.set()


# ---- the stop signal of the main thread (headless, or the tray fell back to headless) ----------
class StopSignal:
    """Ctrl+C / SIGTERM for the main thread, handled by its gevent hub; installed before the server
    starts so a signal that arrives during start-up is kept and acted on, not fatal."""

    def __init__(self) -> None:
        import signal

        import gevent
        import gevent.event

        self.event = gevent.event.Event()
        self._handlers = [gevent.signal_handler(sig, self.event.set) for sig in (signal.SIGINT, signal.SIGTERM)]

    def wait(self, runner: Any) -> None:
        """Block until a signal arrives or the server thread ends."""
        try:
            while not self.event.is_set() and (runner.running or runner.restarting.is_set()):
                self.event.wait(0.5)
        except KeyboardInterrupt:
            pass
        finally:
            self.close()

    def close(self) -> None:
        for handler in self._handlers:
            handler.cancel()
        self._handlers = []


def wait_for_stop_signal(runner: Any) -> None:
    """Block the main thread until Ctrl+C or SIGTERM (or the server thread ends)."""
    StopSignal().wait(runner)
