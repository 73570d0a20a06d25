"""The app factory: builds everything from one :class:`Settings` object. No import-time side effects."""

from __future__ import annotations

import importlib
import logging
from pathlib import Path
from typing import Any

from flask import Flask
from flask.json.provider import DefaultJSONProvider
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_socketio import SocketIO
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter, Rule

from messenger.core import http
from messenger.core.context import Services
from messenger.core.jobs import Jobs
from messenger.core.validation import MAX_ID
from messenger.datadir import prepare_data_dir
from messenger.realtime import (
    CoalescingWebSocket,
    JsonOnlyPacket,
    NoCookieSessionForSockets,
    PacketJson,
    Realtime,
    SocketFlask,
)
from messenger.settings import Settings
from messenger.state import build_state_store
from messenger.storage import Database
from messenger.storage.migrate import upgrade

PACKAGE_DIR = Path(__file__).resolve().parent

# Each feature package exposes ``register(app, svc)``: its HTTP routes, socket events and jobs.
FEATURES = (
    "system",
    "accounts",
    "preferences",
    "people",
    "rooms",
    "messages",
    "forwarding",
    "admin",
    "oidc",
    "pins",
    "notices",
    "polls",
    "retention",
    "files",
    "search",
    "web",
    "ops",
    "lan",
)


class BoundedInt(IntegerConverter):
    """``<int:…>`` URL parts limited to what the databases can store (larger → no route → 404)."""

    def __init__(self, map: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


class LazyBuilderRule(Rule):
    """A URL rule whose ``url_for`` builders are compiled when first used, not when the rule is added.

    werkzeug compiles two builder functions per rule (Python source through ``compile()``) as the
    rule is added: ~15 ms of every start for the app's ~90 rules, while ``url_for`` builds URLs for a
    handful of endpoints. The first call replaces the placeholder with the real builder.
    """

    def _compile_builder(self, append_unknown: bool = True) -> Any:
        compile_real = super()._compile_builder

        def build(rule: Rule, *args: Any, **kwargs: Any) -> tuple[str, str]:
            real = compile_real(append_unknown).__get__(rule, None)
            setattr(rule, "_build_unknown" if append_unknown else "_build", real)
            return real(*args, **kwargs)

        return build


class MessengerFlask(SocketFlask):
    """The app's Flask class: unrouted Socket.IO events (SocketFlask), URL builders made at first use."""

    url_rule_class = LazyBuilderRule


class Utf8JsonProvider(DefaultJSONProvider):
    """JSON answers keep Korean as UTF-8 instead of \\u escapes."""

    ensure_ascii = False


def create_app(settings: Settings, async_mode: str = "gevent") -> Flask:
    """Build the Flask app, Socket.IO server, database and services for ``settings``."""
    if not settings.SECRET_KEY:
        raise ValueError("settings.SECRET_KEY must be set (load_or_create_secret in the data dir)")
    prepare_data_dir(settings.data_dir)
    settings.upload_dir.mkdir(parents=True, exist_ok=True)
    app = MessengerFlask(
        "messenger",
        root_path=str(PACKAGE_DIR),
        static_folder=str(PACKAGE_DIR / "web" / "static"),
        static_url_path="/static",
        template_folder=str(PACKAGE_DIR / "web" / "templates"),
    )
    app.config.update(
        SECRET_KEY=settings.SECRET_KEY,
        MAX_CONTENT_LENGTH=settings.MAX_CONTENT_LENGTH + 64 * 1024,  # multipart overhead
        JSON_AS_ASCII=False,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
    )
    app.json = Utf8JsonProvider(app)
    app.session_interface = NoCookieSessionForSockets()
    app.url_map.converters["int"] = BoundedInt  # an id beyond any stored one is a 404, never a DB overflow

    db = Database(settings.database_url, background_checkpoint=True)
    upgrade(db)
    state = build_state_store(settings)
    if settings.TRUSTED_PROXIES:
        # Behind a load balancer: client address, scheme and host come from X-Forwarded-* headers.
        # Flask's documented way to wrap its WSGI app; mypy sees wsgi_app as a method, not an attribute.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=settings.TRUSTED_PROXIES,  # type: ignore[method-assign]
                                x_proto=settings.TRUSTED_PROXIES, x_host=settings.TRUSTED_PROXIES)
    limiter_options: dict[str, Any] = {}
    if settings.RATE_LIMIT_STORAGE_URI.startswith(("redis://", "rediss://")):
        from messenger.state.redis_store import redis_options

        limiter_options = redis_options()  # a hung Redis must time out fast, then memory takes over
    limiter = Limiter(
        get_remote_address,
        app=app,
        storage_uri=settings.RATE_LIMIT_STORAGE_URI,
        storage_options=limiter_options,
        in_memory_fallback_enabled=True,
        headers_enabled=True,
        strategy="moving-window",
    )
    origins = list(settings.ALLOWED_ORIGINS) or None
    socketio = SocketIO(
        app,
        async_mode=async_mode,
        cors_allowed_origins=origins,
        message_queue=settings.SOCKETIO_MESSAGE_QUEUE or None,
        channel="intranet-messenger",
        logger=False,
        engineio_logger=False,
        ping_interval=20,
        ping_timeout=20,
        max_http_buffer_size=1_000_000,
        cookie=None,
        json=PacketJson,
        serializer=JsonOnlyPacket,
    )
    if async_mode == "gevent":  # every frame a writer sends in one wake-up, one sendall
        socketio.server.eio._async = {**socketio.server.eio._async, "websocket": CoalescingWebSocket}
    realtime = Realtime(socketio)
    svc = Services(
        settings=settings,
        db=db,
        state=state,
        limiter=limiter,
        socketio=socketio,
        realtime=realtime,
        jobs=Jobs(db, socketio),
        log=logging.getLogger("messenger"),
    )
    app.extensions["messenger"] = svc
    realtime.bind(svc)
    http.install(app, settings.ALLOWED_ORIGINS)
    for name in FEATURES:
        importlib.import_module(f"messenger.{name}").register(app, svc)
    return app


def get_services(app: Flask) -> Services:
    return app.extensions["messenger"]
