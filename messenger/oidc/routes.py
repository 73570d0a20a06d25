"""SSO routes: ``GET /api/auth/providers`` (always) and, with ``FEATURE_OIDC_ENABLED``,
``/auth/oidc/login`` and ``/auth/oidc/callback``. Every failure ends on a readable page."""

from __future__ import annotations

import logging

from flask import Blueprint, Flask, Response, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from messenger.accounts.auth import client_ip
from messenger.accounts.routes import _set_session_cookie
from messenger.core.context import Services
from messenger.core.http import returns
from messenger.core.models import Reply
from messenger.i18n import web_catalog
from messenger.oidc import service
from messenger.oidc.service import SsoError

log = logging.getLogger("messenger.oidc")

# The codes a failure page can show; the words are sso.<code> in the web client's catalogs.
CODES = ("account_disabled", "access_denied", "invalid_state", "provider_unreachable", "provider_error",
         "invalid_response", "provision_failed")


class Provider(Reply):
    """A login method (``service.providers``): ``local`` (user name and password) always; ``oidc`` with
    its ``name`` and ``login_url`` when single sign-on is on."""

    id: str
    name: str = ""
    login_url: str = ""


def error_page(err: SsoError) -> Response:
    """A page in Korean and English (there is no signed-in user, so no stored language to pick)."""
    code = err.code if err.code in CODES else "provider_error"
    words = {lang: {key.removeprefix("sso."): text for key, text in web_catalog(lang).items()
                    if key.startswith("sso.")} for lang in ("ko", "en")}
    detail = err.detail if err.detail and err.code != "account_disabled" else ""
    html = render_template("sso_error.html", ko=words["ko"], en=words["en"], code=code, shown_code=err.code,
                           detail=detail)
    return Response(html, status=err.status, mimetype="text/html")


def register(app: Flask, svc: Services) -> None:
    bp = Blueprint("oidc", __name__)

    @bp.get("/api/auth/providers")
    @returns(providers=list[Provider])
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
