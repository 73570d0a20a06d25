"""One error shape everywhere: ``{"error": "<text>", "code": "<snake_case>"}`` with a 4xx/5xx status.

Services raise :class:`ApiError`; HTTP routes and socket handlers turn it into the response/ack.
Messages have English and Korean text; the HTTP layer picks by ``Accept-Language``.
"""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """An error a client should see. ``status`` is the HTTP status; ``code`` the stable identifier."""

    def __init__(self, status: int, code: str, message: str, ko: str | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.ko = ko or _KO_DEFAULTS.get(code)
        self.headers = headers or {}

    def text(self, lang: str = "en") -> str:
        return self.ko if (lang == "ko" and self.ko) else self.message

    def body(self, lang: str = "en") -> dict[str, Any]:
        return {"error": self.text(lang), "code": self.code}


_KO_DEFAULTS = {
    "invalid_json": "요청 본문이 올바른 JSON이 아닙니다.",
    "invalid_text": "올바르지 않은 유니코드 문자가 있습니다.",
    "unsupported_media_type": "본문은 Content-Type: application/json 인 JSON으로 보내야 합니다.",
    "origin_rejected": "다른 사이트에서 보낸 요청은 받을 수 없습니다.",
    "missing_field": "필수 항목이 빠졌습니다.",
    "invalid_field": "입력값이 올바르지 않습니다.",
    "unknown_field": "알 수 없는 항목이 있습니다.",
    "unauthorized": "로그인이 필요합니다.",
    "session_revoked": "세션이 만료되었습니다. 다시 로그인해 주세요.",
    "session_expired": "세션이 만료되었습니다. 다시 로그인해 주세요.",
    "forbidden": "권한이 없습니다.",
    "csrf_failed": "보안 토큰이 없거나 올바르지 않습니다. 페이지를 새로 고쳐 주세요.",
    "not_found": "찾을 수 없습니다.",
    "rate_limited": "요청이 너무 많습니다. 잠시 후 다시 시도해 주세요.",
    "invalid_credentials": "아이디 또는 비밀번호가 올바르지 않습니다.",
    "account_disabled": "비활성화된 계정입니다.",
    "username_taken": "이미 사용 중인 아이디입니다.",
    "registration_closed": "회원 가입이 닫혀 있습니다.",
    "weak_password": "비밀번호가 너무 짧습니다.",
    "file_too_large": "파일이 너무 큽니다.",
    "method_not_allowed": "허용되지 않는 요청 방식입니다.",
    "internal_error": "서버 오류가 발생했습니다.",
}


def bad_request(code: str, message: str, ko: str | None = None) -> ApiError:
    return ApiError(400, code, message, ko)


def not_found(what: str = "resource") -> ApiError:
    return ApiError(404, "not_found", f"{what} not found")


def forbidden(message: str = "You are not allowed to do this") -> ApiError:
    return ApiError(403, "forbidden", message)


def unauthorized(message: str = "Login required") -> ApiError:
    return ApiError(401, "unauthorized", message)
