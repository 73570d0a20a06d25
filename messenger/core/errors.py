"""One error shape everywhere: ``{"error": "<English>", "code": "<snake_case>", "params": {...}}``.

Services raise :class:`ApiError`; HTTP routes and socket handlers turn it into the response/ack.
The server speaks no human language to users: ``error`` is English text for scripts and logs, and the
web client shows the words of its own catalog for ``code`` (``error.<code>``, or
``error.<code>.<params.reason>`` when the error names a reason), with ``params`` filled in.
``params`` is present only when there are any. Every code and reason has an entry in both web
catalogs (a test scans these sources).
"""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """An error a client should see. ``status`` is the HTTP status; ``code`` the stable identifier;
    ``params`` the values the client's sentence needs (``reason`` refines the code)."""

    def __init__(self, status: int, code: str, message: str, params: dict[str, Any] | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.params = params or {}
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        out: dict[str, Any] = {"error": self.message, "code": self.code}
        if self.params:
            out["params"] = self.params
        return out


def bad_request(code: str, message: str, params: dict[str, Any] | None = None) -> ApiError:
    return ApiError(400, code, message, params)


def not_found(what: str = "resource") -> ApiError:
    """404 ``not_found``; ``what`` (a lower-case noun: "file", "upload job") becomes ``params.reason``."""
    params = {"reason": what.replace(" ", "_")} if what != "resource" else None
    return ApiError(404, "not_found", f"{what} not found", params)


def forbidden(message: str = "You are not allowed to do this") -> ApiError:
    return ApiError(403, "forbidden", message)


def unauthorized(message: str = "Login required") -> ApiError:
    return ApiError(401, "unauthorized", message)


STORAGE_FULL_ERRNOS = (28, 122)  # ENOSPC, EDQUOT


def is_storage_full(exc: BaseException) -> bool:
    """True for "no space left on the device" (or over quota), from the OS or from SQLite."""
    if isinstance(exc, OSError) and exc.errno in STORAGE_FULL_ERRNOS:
        return True
    text = str(getattr(exc, "orig", exc)).lower()
    return "database or disk is full" in text or "no space left on device" in text


def storage_full() -> ApiError:
    """507: the server's disk is full; nothing of the request was kept."""
    return ApiError(507, "storage_full", "The server's disk is full; nothing was saved. Ask the administrator "
                    "to free space on the server PC.")
