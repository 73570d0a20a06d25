"""HTTP plumbing shared by every blueprint: JSON errors, request bodies, security headers."""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import Flask, Response, jsonify, request
from pydantic import create_model
from werkzeug.exceptions import HTTPException

from messenger.core.errors import ApiError, is_storage_full, storage_full
from messenger.core.models import Body, Query, Reply, parse_form, parse_model, parse_query
from messenger.core.validation import check_json_value, loads

log = logging.getLogger("messenger.http")
F = TypeVar("F", bound=Callable[..., Any])

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "font-src 'self'; connect-src {connect}; media-src 'self' blob:; object-src 'none'; "
    "frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)
_HOST_RE = re.compile(r"^[A-Za-z0-9.\-]+(:[0-9]{1,5})?$|^\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?$")


def csp() -> str:
    """The page policy. ``connect-src`` is this server only: 'self' plus the WebSocket origin of the
    host the browser used (CSP3 'self' covers same-host ws/wss in current browsers, older Safari needs
    it spelled out). Any name or address of the server on the LAN works; no other host can be reached."""
    host = request.host
    if not _HOST_RE.match(host):
        return CSP.format(connect="'self'")
    ws = "wss" if request.scheme == "https" else "ws"
    return CSP.format(connect=f"'self' {ws}://{host}")

STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}

_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    408: "request_timeout",
    409: "conflict",
    413: "file_too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
}


def lang() -> str:
    """'ko' or 'en' from Accept-Language; Korean is the default (pages served before login only)."""
    try:
        return request.accept_languages.best_match(["ko", "en"], default="ko") or "ko"
    except RuntimeError:
        return "ko"


def error_response(err: ApiError) -> Response:
    resp = jsonify(err.body())
    resp.status_code = err.status
    for key, value in err.headers.items():
        resp.headers[key] = value
    return resp


def _not_json() -> ApiError:
    return ApiError(400, "invalid_json", "Request body must be a JSON object")


def accepts(model: type[Body] | None = None, *, query: type[Query] | None = None) -> Callable[[F], F]:
    """The view takes a JSON body of ``model`` and/or query-string parameters of ``query``: they are
    checked after the decorators above this one (authentication, CSRF) and passed as the keyword
    arguments ``body`` and ``query`` (dicts of what was given). ``build/openapi.py`` reads
    ``view.request_model`` and ``view.query_model`` to document the request."""

    def decorator(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if query is not None:
                kwargs["query"] = parse_query(request.args, query)
            if model is not None:
                kwargs["body"] = json_body(model)
            return view(*args, **kwargs)

        wrapper.request_model = model  # type: ignore[attr-defined]  # read by build/openapi.py
        wrapper.query_model = query  # type: ignore[attr-defined]  # read by build/openapi.py
        return wrapper  # type: ignore[return-value]  # called like the view; body/query are added inside

    return decorator


def returns(*statuses: int, reply: type[Reply] | None = None, **fields: Any) -> Callable[[F], F]:
    """Document the view's success answer: ``reply`` (a :class:`Reply` model), or an object of ``fields``
    (each always there; name: a :class:`Reply` model, a ``list[...]`` of one, or a plain type) with one
    of ``statuses`` (200 when none are given). ``build/openapi.py`` reads ``view.response_model`` and
    ``view.response_statuses``; nothing runs per request (the schemathesis run checks the answers
    against the document)."""

    def decorator(view: F) -> F:
        name = "".join(part.title() for part in view.__name__.split("_")) + "Reply"
        definitions: dict[str, Any] = {k: (v, ...) for k, v in fields.items()}  # each field required
        model = reply or create_model(name, __base__=Reply, **definitions)
        view.response_model = model  # type: ignore[attr-defined]  # read by build/openapi.py
        view.response_statuses = statuses or (200,)  # type: ignore[attr-defined]  # read by build/openapi.py
        view.response_inline = reply is None  # type: ignore[attr-defined]  # made here for this route
        return view

    return decorator


def serves(media_type: str, *statuses: int) -> Callable[[F], F]:
    """Document a view that answers something other than JSON: an HTML page, a file, an image, a CSV,
    with ``media_type`` (``*/*`` when it is the stored file's own) and one of ``statuses`` (200 when none
    are given; 206 and 304 for conditional and range requests carry no body of their own in the document).
    ``build/openapi.py`` reads ``view.response_media`` and ``view.response_statuses``."""

    def decorator(view: F) -> F:
        view.response_media = media_type  # type: ignore[attr-defined]  # read by build/openapi.py
        view.response_statuses = statuses or (200,)  # type: ignore[attr-defined]  # read by build/openapi.py
        return view

    return decorator


def form(model: type[Body]) -> Callable[[F], F]:
    """The view takes a ``multipart/form-data`` request of ``model``: its fields are checked
    (:func:`~messenger.core.models.parse_form`) after the decorators above and passed as the keyword
    argument ``form``; the files themselves stay in ``request.files``. ``build/openapi.py`` reads
    ``view.form_model``."""

    def decorator(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            kwargs["form"] = parse_form(request.form, request.files, model)
            return view(*args, **kwargs)

        wrapper.form_model = model  # type: ignore[attr-defined]  # read by build/openapi.py
        return wrapper  # type: ignore[return-value]  # called like the view; the form is added inside

    return decorator


def json_body(model: type[Body]) -> dict[str, Any]:
    """The request's JSON object checked against ``model`` (400 on anything malformed).

    The body must be sent as ``Content-Type: application/json`` (415 ``unsupported_media_type``
    otherwise): a cross-site HTML form can only send ``text/plain``, ``multipart/form-data`` or
    ``application/x-www-form-urlencoded``, so it can never reach a JSON route."""
    raw = request.get_data(cache=True)
    if not raw:
        raise _not_json()
    if not request.is_json:
        raise ApiError(415, "unsupported_media_type", "Send the body as JSON with Content-Type: application/json")
    try:
        payload = loads(raw)
    except ValueError:  # malformed, or not UTF-8/16/32
        raise _not_json() from None
    check_json_value(payload)
    return parse_model(payload, model)


def _origin_of(url: str) -> str | None:
    """``scheme://host[:port]`` of a URL, lower-cased; None when it has none (e.g. ``null``)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if not parts.scheme or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}".lower()


def check_origin(extra_origins: tuple[str, ...] = ()) -> None:
    """403 ``origin_rejected`` for a state-changing request sent from another site's page.

    The request's ``Origin`` (or, without one, its ``Referer``) must be this server as the client
    reached it (scheme and ``Host``; so every name and address of the server on the LAN works) or one
    of ``ALLOWED_ORIGINS``. Browsers send ``Origin`` with every cross-site POST/PUT/PATCH/DELETE
    (``null`` from sandboxed or privacy-stripped contexts, which is refused). A request with neither
    header is not from a web page (curl, scripts, bots) and is let through to the CSRF-token check."""
    if request.method not in STATE_CHANGING:
        return
    sent = request.headers.get("Origin")
    if sent is None:
        referer = request.headers.get("Referer")
        if not referer:
            return
        sent = referer
    origin = _origin_of(sent)
    own = f"{request.scheme}://{request.host}".lower()
    if origin is not None and (origin == own or origin in {o.lower() for o in extra_origins}):
        return
    raise ApiError(403, "origin_rejected", "Cross-site request refused: Origin/Referer is not this server")


def install(app: Flask, extra_origins: tuple[str, ...] = ()) -> None:
    """Error handlers, the Origin check and security headers for the whole app."""

    @app.before_request
    def _same_origin_only() -> None:
        check_origin(extra_origins)

    @app.before_request
    def _reject_nul_in_query() -> Response | None:
        for key, value in request.args.items(multi=True):
            if "\x00" in key or "\x00" in value:
                return error_response(ApiError(400, "invalid_field", f"Query parameter '{key[:40]}' contains a NUL byte",
                                               {"field": key[:40], "reason": "nul"}))
        return None

    @app.errorhandler(ApiError)
    def _api_error(err: ApiError) -> Response:
        return error_response(err)

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> Response:
        status = exc.code or 500
        code = _HTTP_CODES.get(status, "http_error")
        message = exc.description or exc.name
        if status == 413:
            limit = app.config.get("MAX_CONTENT_LENGTH")
            message = f"Request too large (limit {limit} bytes)"
        if status == 429:
            message = f"Too many requests: {exc.description}"
        params = {"limit": app.config.get("MAX_CONTENT_LENGTH")} if status == 413 else None
        err = ApiError(status, code, message, params)
        resp = error_response(err)
        if status == 429:
            retry = getattr(exc, "retry_after", None)
            resp.headers["Retry-After"] = str(int(retry) if retry else 60)
        if status == 405 and hasattr(exc, "valid_methods") and exc.valid_methods:
            resp.headers["Allow"] = ", ".join(exc.valid_methods)
        return resp

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Response:
        if is_storage_full(exc):
            log.error("disk full on %s %s: %s", request.method, request.path, exc)
            return error_response(storage_full())
        log.exception("unhandled error on %s %s", request.method, request.path)
        return error_response(ApiError(500, "internal_error", "Internal server error"))

    @app.after_request
    def _headers(resp: Response) -> Response:
        resp.headers.setdefault("Content-Security-Policy", csp())
        resp.headers.setdefault("X-Content-Type-Options", "nosniff")
        resp.headers.setdefault("X-Frame-Options", "DENY")
        resp.headers.setdefault("Referrer-Policy", "same-origin")
        if request.path.startswith("/api/"):
            resp.headers.setdefault("Cache-Control", "no-store")
        if resp.status_code == 429 and "Retry-After" not in resp.headers:
            resp.headers["Retry-After"] = "60"
        return resp
