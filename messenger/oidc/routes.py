"""SSO routes: ``GET /api/auth/providers`` (always) and, with ``FEATURE_OIDC_ENABLED``,
``/auth/oidc/login`` and ``/auth/oidc/callback``. Every failure ends on a readable page."""

from __future__ import annotations

import logging

from flask import Blueprint, Flask, Response, jsonify, redirect, request, url_for
from flask.typing import ResponseReturnValue
from markupsafe import escape

from messenger.accounts.auth import client_ip
from messenger.accounts.routes import _set_session_cookie
from messenger.core.context import Services
from messenger.oidc import service
from messenger.oidc.service import SsoError

log = logging.getLogger("messenger.oidc")

# code -> (Korean, English)
MESSAGES = {
    "account_disabled": ("이 계정은 비활성화되어 있습니다. 관리자에게 문의하세요.",
                         "This account is disabled. Please contact your administrator."),
    "access_denied": ("로그인이 취소되었거나 거부되었습니다.", "The sign-in was cancelled or denied."),
    "invalid_state": ("로그인 요청이 만료되었거나 올바르지 않습니다. 다시 시도하세요.",
                      "The sign-in request expired or is not valid. Please try again."),
    "provider_unreachable": ("SSO 서버에 연결할 수 없습니다. 잠시 후 다시 시도하세요.",
                             "The single sign-on server cannot be reached. Please try again later."),
    "provider_error": ("SSO 서버가 오류를 보냈습니다.", "The single sign-on server reported an error."),
    "invalid_response": ("SSO 서버의 응답을 확인할 수 없습니다.", "The single sign-on server's answer could not be verified."),
    "provision_failed": ("계정을 만들 수 없습니다. 관리자에게 문의하세요.",
                         "Your account could not be created. Please contact your administrator."),
}


def error_page(err: SsoError) -> Response:
    ko, en = MESSAGES.get(err.code, MESSAGES["provider_error"])
    detail = f"<p><small>{escape(err.detail)}</small></p>" if err.detail and err.code != "account_disabled" else ""
    html = (
        "<!doctype html><html lang=\"ko\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        "<title>로그인 실패 / Sign-in failed</title></head><body>"
        f"<h1>로그인 실패</h1><p>{escape(ko)}</p><h2>Sign-in failed</h2><p>{escape(en)}</p>{detail}"
        f"<p><code>{escape(err.code)}</code></p>"
        "<p><a href=\"/\">처음으로 돌아가기 / Back to the start page</a></p></body></html>"
    )
    return Response(html, status=err.status, mimetype="text/html")


def register(app: Flask, svc: Services) -> None:
    bp = Blueprint("oidc", __name__)

    @bp.get("/api/auth/providers")
    def providers() -> ResponseReturnValue:
        return jsonify({"providers": service.providers(svc)})

    if svc.settings.FEATURE_OIDC_ENABLED:
        client = service.build_client(app, svc)

        @bp.get("/auth/oidc/login")
        def login() -> ResponseReturnValue:
            try:
                return client.authorize_redirect(url_for("oidc.callback", _external=True))
            except Exception as exc:  # discovery failed: provider down or misconfigured
                log.warning("OIDC login could not start: %s", exc)
                return error_page(SsoError("provider_unreachable", 502, str(exc)[:300]))

        @bp.get("/auth/oidc/callback")
        def callback() -> ResponseReturnValue:
            try:
                claims = service.finish_login(svc, client, request.args.to_dict(flat=True))
                _row, token, _csrf = service.sign_in(svc, str(claims.get("iss") or ""), claims, client_ip(),
                                                     request.headers.get("User-Agent"))
            except SsoError as err:
                return error_page(err)
            resp = redirect("/")
            _set_session_cookie(resp, svc, token)
            return resp

    app.register_blueprint(bp)
