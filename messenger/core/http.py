"""HTTP plumbing shared by every blueprint: JSON errors, request bodies, security headers."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import HTTPException

from messenger.core.errors import ApiError
from messenger.core.validation import Field, parse

log = logging.getLogger("messenger.http")

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "font-src 'self'; connect-src 'self' ws: wss:; media-src 'self' blob:; object-src 'none'; "
    "frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)

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
    """'ko' or 'en' from Accept-Language; Korean is the default."""
    try:
        return request.accept_languages.best_match(["ko", "en"], default="ko") or "ko"
    except RuntimeError:
        return "ko"


def error_response(err: ApiError) -> Response:
    resp = jsonify(err.body(lang()))
    resp.status_code = err.status
    for key, value in err.headers.items():
        resp.headers[key] = value
    return resp


def json_body(spec: dict[str, Field], allow_unknown: bool = False) -> dict[str, Any]:
    """The request's JSON object checked against ``spec`` (400 on anything malformed)."""
    payload = request.get_json(silent=True, force=True) if request.get_data(cache=True) else None
    if payload is None:
        raise ApiError(400, "invalid_json", "Request body must be a JSON object",
                       "요청 본문이 올바른 JSON 객체가 아닙니다.")
    return parse(payload, spec, allow_unknown=allow_unknown)


def install(app: Flask) -> None:
    """Error handlers and security headers for the whole app."""

    @app.before_request
    def _reject_nul_in_query() -> Response | None:
        for key, value in request.args.items(multi=True):
            if "\x00" in key or "\x00" in value:
                return error_response(ApiError(400, "invalid_field", f"Query parameter '{key[:40]}' contains a NUL byte"))
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
        err = ApiError(status, code, message)
        resp = error_response(err)
        if status == 429:
            retry = getattr(exc, "retry_after", None)
            resp.headers["Retry-After"] = str(int(retry) if retry else 60)
        if status == 405 and hasattr(exc, "valid_methods") and exc.valid_methods:
            resp.headers["Allow"] = ", ".join(exc.valid_methods)
        return resp

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.path)
        return error_response(ApiError(500, "internal_error", "Internal server error"))

    @app.after_request
    def _headers(resp: Response) -> Response:
        resp.headers.setdefault("Content-Security-Policy", CSP)
        resp.headers.setdefault("X-Content-Type-Options", "nosniff")
        resp.headers.setdefault("X-Frame-Options", "DENY")
        resp.headers.setdefault("Referrer-Policy", "same-origin")
        if request.path.startswith("/api/"):
            resp.headers.setdefault("Cache-Control", "no-store")
        if resp.status_code == 429 and "Retry-After" not in resp.headers:
            resp.headers["Retry-After"] = "60"
        return resp
