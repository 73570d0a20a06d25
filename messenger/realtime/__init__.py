"""Socket.IO set-up: authenticated connections, acknowledged events, rooms and emit helpers.

Every client→server event is registered through :meth:`Realtime.event`, which re-checks the session
(a revoked session is told ``session_revoked`` and disconnected), validates nothing itself, and turns
the handler's result or :class:`ApiError` into the ``{ok: ...}`` acknowledgement.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any

from engineio import json as engineio_json
from engineio.async_drivers.gevent import WebSocketWSGI
from flask import Flask, Request, request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from flask_socketio import SocketIO, disconnect, join_room
from socketio import packet as socketio_packet
from sqlalchemy import Connection
from wsproto.events import BytesMessage, TextMessage

from messenger.core.errors import ApiError, is_storage_full, storage_full
from messenger.core.models import Body, OneOf, parse_model
from messenger.core.validation import DeepJson, check_json_value
from messenger.storage.db import on_commit

if TYPE_CHECKING:
    from messenger.core.context import Services

log = logging.getLogger("messenger.realtime")

PRESENCE_TTL = 24 * 3600


@dataclass
class SocketUser:
    """Who is behind a socket (kept per node, keyed by socket id)."""

    sid: str
    user_id: int
    session_id: int
    username: str
    display_name: str
    # The user's stored language (messenger.preferences): read when first asked for, not at connect (no
    # reply speaks words today, and every connect of a storm would pay a read), kept current on this node.
    lang: str | None = None
    idle: bool = False  # the client reported no input for the idle time (set_presence "away")


@dataclass(frozen=True)
class Identity:
    """Who a connecting socket belongs to, as the authenticator found them."""

    user_id: int
    session_id: int
    username: str
    display_name: str


@dataclass(frozen=True)
class Authenticator:
    """How sockets are authenticated. The accounts feature registers one (:attr:`Realtime.authenticator`),
    so realtime never imports a feature.

    ``identify`` reads the connect request (its session cookie) and raises :class:`ApiError` to refuse it;
    ``session_is_valid`` re-checks the session before every event.
    """

    identify: Callable[["Services", Request], Identity]
    session_is_valid: Callable[["Services", int], bool]


def user_room(user_id: int) -> str:
    return f"user:{user_id}"


def session_room(session_id: int) -> str:
    return f"session:{session_id}"


def _sid() -> str:
    """The Socket.IO session id of the event being handled (Flask-SocketIO sets ``request.sid``, which
    Flask's Request type does not declare)."""
    return str(getattr(request, "sid"))  # noqa: B009


class NoCookieSessionForSockets(SecureCookieSessionInterface):
    """Flask-SocketIO pushes a request context for every event, and Flask then decodes the signed
    session cookie each time. Nothing on a socket uses the Flask session (accounts have server-side
    sessions; only the OIDC redirect keeps its state there), so socket requests get the null session."""

    def open_session(self, app: Flask, request: Any) -> SecureCookieSession | None:
        if request.path.startswith("/socket.io"):
            return self.make_null_session(app)
        return super().open_session(app, request)


class SocketFlask(Flask):
    """The app's Flask class: Socket.IO events are not routed.

    Flask-SocketIO pushes a request context (the connection's handshake request, ``/socket.io/``) for
    every event, and Flask binds the URL map and matches that path against every route each time, to
    find no route (~3% of the server's CPU per message on the send path). Event handlers use no route,
    ``url_for`` or ``request.endpoint``, so those contexts get no URL adapter; every other request is
    routed as before."""

    def create_url_adapter(self, request: Request | None) -> Any:
        if request is not None and request.path.startswith("/socket.io/"):
            return None
        return super().create_url_adapter(request)


class JsonOnlyPacket(socketio_packet.Packet):
    """Socket.IO packets (``SocketIO(serializer=...)``) with a cheaper scan for binary parts.

    python-socketio builds every packet, each event and acknowledgement, by first walking its data for
    ``bytes`` (a recursive walk with a list and a ``reduce`` per container, ~1.5% of the server's CPU per
    message). This walks the same containers (lists, dicts' values) without recursion and skips strings
    and numbers at once: the same answer, bytes still make a binary packet."""

    @classmethod
    def data_is_binary(cls, data: Any) -> bool:
        stack = [data]
        pop, push = stack.pop, stack.extend
        while stack:
            item = pop()
            kind = type(item)
            if kind is str or kind is int or kind is bool or kind is float or item is None:
                continue
            if isinstance(item, (bytes, bytearray)):
                return True
            if isinstance(item, list):
                push(item)
            elif isinstance(item, dict):
                push(item.values())
        return False


class CoalescingWebSocket(WebSocketWSGI):
    """The WebSocket of an Engine.IO connection (gevent), writing every frame its writer sends in one
    wake-up with one ``sendall``.

    Engine.IO's writer greenlet takes all the packets queued for a socket and sends them one by one,
    and simple-websocket writes each frame with its own ``send`` on the socket: one system call per
    frame, the largest per-delivery cost (docs/PERFORMANCE.md, "Per-delivery cost"). Here ``send``
    frames the message and keeps it; the frames go out together before the writer waits for the next
    packets (its ``poll``), before the connection's reader waits (``wait``: the upgrade's probe answer),
    and on ``close``. Same frames, same order; control frames simple-websocket's reader writes itself
    (pong, close) may come between two writes, as they may between any two messages."""

    def __call__(self, environ: Any, start_response: Any) -> Any:
        self.frames: list[bytes] = []
        eio_socket = self.app.__self__  # the handler is the Engine.IO socket's bound _websocket_handler
        drain = eio_socket.poll

        def poll() -> Any:
            if not self.flush():
                return []  # the connection is gone: the writer stops and closes it
            return drain()

        eio_socket.poll = poll
        return super().__call__(environ, start_response)

    def flush(self) -> bool:
        """Write the kept frames; False when the connection is closed."""
        frames = self.frames
        if not frames:
            return True
        data = frames[0] if len(frames) == 1 else b"".join(frames)
        frames.clear()
        if not self.ws.connected:
            return False
        try:
            self.ws.sock.sendall(data)
        except OSError:
            return False
        return True

    def send(self, message: Any) -> None:
        ws = self.ws
        if not ws.connected:
            raise OSError("WebSocket closed")
        event = BytesMessage(data=message) if isinstance(message, bytes) else TextMessage(data=str(message))
        self.frames.append(ws.ws.send(event))

    def wait(self) -> Any:
        if not self.flush():
            return None
        return super().wait()

    def close(self) -> None:
        self.flush()
        super().close()


class PacketJson:
    """The JSON module of the Socket.IO server (``SocketIO(json=...)``).

    An event packet nested too deeply for Python's decoder would otherwise raise RecursionError inside
    python-socketio, and the client would never get its acknowledgement. Here the event name is read
    on its own and the payload becomes :class:`DeepJson`, which the event dispatch answers with
    ``invalid_json`` like any other bad payload."""

    dumps = staticmethod(json.dumps)

    @staticmethod
    def loads(text: str, **kwargs: Any) -> Any:
        try:
            return engineio_json.loads(text, **kwargs)
        except RecursionError:
            pass
        decoder = json.JSONDecoder()
        start = len(text) - len(text.lstrip())
        if not text[start:start + 1] == "[":
            raise ValueError("packet nested too deeply")
        rest = text[start + 1:]
        name, _end = decoder.raw_decode(rest.lstrip())
        if not isinstance(name, str):
            raise ValueError("packet nested too deeply")
        return [name, DeepJson()]


class SetPresence(Body):
    presence: Annotated[str, OneOf("online", "away")]


Handler = Callable[["Services", SocketUser, Any], "dict[str, Any] | None"]


class Realtime:
    def __init__(self, socketio: SocketIO) -> None:
        self.socketio = socketio
        self.svc: Services | None = None
        self.sockets: dict[str, SocketUser] = {}
        self.connect_hooks: list[Callable[[Services, SocketUser], None]] = []
        self.disconnect_hooks: list[Callable[[Services, SocketUser], None]] = []
        self.presence_hooks: list[Callable[[Services, int, str], None]] = []
        self.user_changed_hooks: list[Callable[[Services, int], None]] = []
        self.stop_hooks: list[Callable[[Services], None]] = []  # after every socket closed on shutdown
        self.authenticator: Authenticator | None = None

    # ---- wiring ---------------------------------------------------------------------------
    def bind(self, svc: "Services") -> None:
        self.svc = svc
        self.socketio.on_event("connect", self._on_connect)
        self.socketio.on_event("disconnect", self._on_disconnect)
        self.event("set_presence")(_set_presence)

    def event(self, name: str) -> Callable[[Handler], Handler]:
        """Register a client→server event whose return value becomes the ack."""

        def decorator(fn: Handler) -> Handler:
            def handler(data: Any = None) -> dict[str, Any]:
                return self._dispatch(name, fn, data)

            handler.__name__ = f"socket_{name}"
            self.socketio.on_event(name, handler)
            return fn

        return decorator

    # ---- connection lifecycle ----------------------------------------------------------------
    def _on_connect(self, auth: Any = None) -> None:
        svc = self.svc
        assert svc is not None
        if self.authenticator is None:
            raise ConnectionRefusedError({"code": "unauthorized", "error": "No authenticator is registered"})
        try:
            who = self.authenticator.identify(svc, request)
        except ApiError as err:
            raise ConnectionRefusedError({"code": err.code, "error": err.message}) from None
        user = SocketUser(_sid(), who.user_id, who.session_id, who.username, who.display_name)
        self.sockets[_sid()] = user
        join_room(user_room(user.user_id))
        join_room(session_room(user.session_id))
        for hook in self.connect_hooks:
            hook(svc, user)
        count = svc.state.incr(f"presence:conn:{user.user_id}", 1, ttl=PRESENCE_TTL)
        active = svc.state.incr(f"presence:active:{user.user_id}", 1, ttl=PRESENCE_TTL)
        if count == 1 or active == 1:  # came online, or back from away on a new tab
            self._presence_changed(user.user_id)

    def stopped(self) -> None:
        """The server closed every socket and is stopping: run the stop hooks (write what is waiting)."""
        svc = self.svc
        assert svc is not None
        for hook in self.stop_hooks:
            try:
                hook(svc)
            except Exception:
                log.exception("stop hook failed")

    def _on_disconnect(self, *args: Any) -> None:
        svc = self.svc
        assert svc is not None
        user = self.sockets.pop(_sid(), None)
        if user is None:
            return
        for hook in self.disconnect_hooks:
            try:
                hook(svc, user)
            except Exception:
                log.exception("disconnect hook failed")
        count = svc.state.incr(f"presence:conn:{user.user_id}", -1, ttl=PRESENCE_TTL)
        active = 1
        if not user.idle:
            active = svc.state.incr(f"presence:active:{user.user_id}", -1, ttl=PRESENCE_TTL)
        if count <= 0:
            svc.state.delete(f"presence:conn:{user.user_id}")
            svc.state.delete(f"presence:active:{user.user_id}")
            self._presence_changed(user.user_id)
        elif active <= 0:  # the last active tab closed; the others are idle
            self._presence_changed(user.user_id)

    def _dispatch(self, name: str, fn: Handler, data: Any) -> dict[str, Any]:
        svc = self.svc
        assert svc is not None
        user = self.sockets.get(_sid())
        if user is None or self.authenticator is None:
            return {"ok": False, "error": "Not connected", "code": "unauthorized"}
        if not self.authenticator.session_is_valid(svc, user.session_id):
            self.socketio.emit("session_revoked", {}, to=_sid())
            disconnect()
            return {"ok": False, "error": "This session was ended; please log in again", "code": "session_revoked"}
        try:
            check_json_value(data)  # lone surrogates, nesting, huge integers: one check for every event
            result = fn(svc, user, {} if data is None else data)
        except ApiError as err:
            return {"ok": False, **err.body()}
        except Exception as exc:
            if is_storage_full(exc):  # as over HTTP: 507 storage_full, nothing was saved
                log.error("disk full on socket event %s: %s", name, exc)
                return {"ok": False, **storage_full().body()}
            log.exception("socket event %s failed", name)
            return {"ok": False, "error": "Internal server error", "code": "internal_error"}
        return {"ok": True, **(result or {})}

    # ---- presence ---------------------------------------------------------------------------
    def presence(self, user_id: int) -> str:
        """``offline`` (no socket), ``away`` (every socket idle) or ``online``.

        Counted in the state store across nodes: ``presence:conn:<id>`` sockets connected,
        ``presence:active:<id>`` those whose client has not reported itself idle.
        """
        svc = self.svc
        if svc is None:
            return "offline"
        count = svc.state.get(f"presence:conn:{user_id}")
        if not count or int(count) <= 0:
            return "offline"
        active = svc.state.get(f"presence:active:{user_id}")
        return "online" if active and int(active) > 0 else "away"

    def presence_changed(self, user_id: int) -> None:
        """Tell the presence hooks that what others see of ``user_id``'s presence may have changed."""
        self._presence_changed(user_id)

    def _presence_changed(self, user_id: int) -> None:
        svc = self.svc
        assert svc is not None
        state = self.presence(user_id)
        for hook in self.presence_hooks:
            try:
                hook(svc, user_id, state)
            except Exception:
                log.exception("presence hook failed")

    # ---- emitting ---------------------------------------------------------------------------
    def emit_user(self, event: str, data: Any, user_id: int) -> None:
        """Emit now to every socket of ``user_id`` (on every node)."""
        self.socketio.emit(event, data, to=user_room(user_id))

    def sockets_of(self, user_id: int) -> list[SocketUser]:
        """This node's sockets of ``user_id``."""
        return [s for s in list(self.sockets.values()) if s.user_id == user_id]

    def queue_to_user(self, conn: Connection, event: str, data: Any | Callable[[], Any], user_id: int) -> None:
        """Emit to every socket of ``user_id`` once the transaction of ``conn`` has committed.

        ``data`` is the payload, or a function that builds it after the commit."""
        on_commit(conn, lambda: self.emit_user(event, data() if callable(data) else data, user_id))

    def local_sids(self, user_id: int | None = None, session_ids: set[int] | None = None) -> list[str]:
        return [
            s.sid
            for s in list(self.sockets.values())
            if (user_id is None or s.user_id == user_id) and (session_ids is None or s.session_id in session_ids)
        ]

    def revoke_sessions(self, session_ids: list[int], notify: bool = True) -> None:
        """Tell the sockets of these sessions ``session_revoked`` and disconnect them."""
        if not session_ids:
            return
        if notify:
            for session_id in session_ids:
                self.socketio.emit("session_revoked", {}, to=session_room(session_id))
        for sid in self.local_sids(session_ids=set(session_ids)):
            try:
                self.socketio.server.disconnect(sid, namespace="/")
            except Exception:
                log.exception("could not disconnect socket %s", sid)

    def queue_user_changed(self, conn: Connection, user_id: int) -> None:
        """Run the user-changed hooks for ``user_id`` once the transaction of ``conn`` has committed."""
        on_commit(conn, lambda: self.notify_user_changed(user_id))

    def notify_user_changed(self, user_id: int) -> None:
        svc = self.svc
        assert svc is not None
        for hook in self.user_changed_hooks:
            try:
                hook(svc, user_id)
            except Exception:
                log.exception("user-changed hook failed")

    def online_count(self) -> int:
        return len({s.user_id for s in self.sockets.values()})


def _set_presence(svc: "Services", user: SocketUser, data: Any) -> dict[str, Any]:
    body = parse_model(data, SetPresence)
    idle = body["presence"] == "away"
    assert svc.realtime is not None
    if idle != user.idle:  # this socket's client went idle, or came back
        user.idle = idle
        active = svc.state.incr(f"presence:active:{user.user_id}", -1 if idle else 1, ttl=PRESENCE_TTL)
        if active == (0 if idle else 1):
            svc.realtime._presence_changed(user.user_id)
    return {"presence": svc.realtime.presence(user.user_id)}
