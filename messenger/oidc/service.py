"""OpenID Connect single sign-on with Authlib's Flask client.

Discovery from ``OIDC_ISSUER_URL``, authorization code flow with PKCE (S256); Authlib keeps
state, nonce and the code verifier in the signed Flask session and checks state, the ID token's
signature, issuer, audience and nonce in ``authorize_access_token``. The first login provisions a
local account from the userinfo claims; later logins map by (issuer, subject).
"""

from __future__ import annotations

import logging
import re
import unicodedata
from typing import Any

from flask import Flask
from sqlalchemy.exc import IntegrityError

from messenger.accounts import service as accounts
from messenger.accounts import store as accounts_store
from messenger.audit import store as audit_store
from messenger.core.context import Services
from messenger.core.errors import ApiError

log = logging.getLogger("messenger.oidc")

CLIENT_NAME = "sso"
HTTP_TIMEOUT = 10


class SsoError(Exception):
    """A login that cannot finish; ``code`` picks the text on the error page."""

    def __init__(self, code: str, status: int = 400, detail: str = "") -> None:
        super().__init__(detail or code)
        self.code = code
        self.status = status
        self.detail = detail


def build_client(app: Flask, svc: Services) -> Any:
    """Register the provider with Authlib (metadata is fetched on first use). Authlib is imported here,
    only when SSO is enabled: it costs ~0.2 s of every start-up otherwise."""
    from authlib.integrations.flask_client import OAuth

    s = svc.settings
    oauth = OAuth(app)
    issuer = s.OIDC_ISSUER_URL.rstrip("/")
    return oauth.register(
        CLIENT_NAME,
        client_id=s.OIDC_CLIENT_ID,
        client_secret=s.OIDC_CLIENT_SECRET or None,
        server_metadata_url=f"{issuer}/.well-known/openid-configuration",
        client_kwargs={"scope": s.OIDC_SCOPES, "code_challenge_method": "S256", "default_timeout": HTTP_TIMEOUT},
    )


def providers(svc: Services) -> list[dict[str, Any]]:
    """The login methods the client can offer (``GET /api/auth/providers``)."""
    out: list[dict[str, Any]] = [{"id": "local"}]
    if svc.settings.FEATURE_OIDC_ENABLED:
        out.append({"id": "oidc", "name": svc.settings.OIDC_PROVIDER_NAME, "login_url": "/auth/oidc/login"})
    return out


def _base_username(claims: dict[str, Any], claim: str) -> str:
    raw = claims.get(claim)
    if not isinstance(raw, str) or not raw.strip():
        email = claims.get("email")
        raw = email.split("@", 1)[0] if isinstance(email, str) and "@" in email else ""
    name = unicodedata.normalize("NFKC", raw).strip().lower()
    name = re.sub(r"[^a-z0-9._\-\uac00-\ud7a3]+", "-", name).strip("-.")[:28]  # the username set
    return name if len(name) >= 2 else "user"


def unique_username(svc: Services, claims: dict[str, Any]) -> str:
    """The username claim (or the e-mail's local part), made valid and unique (``kim``, ``kim-2``, ...)."""
    base = _base_username(claims, svc.settings.OIDC_USERNAME_CLAIM)
    with svc.db.read() as conn:
        taken = accounts_store.live_usernames(conn)
        for n in range(1, 1000):
            candidate = base if n == 1 else f"{base}-{n}"
            if (accounts_store.get_user_by_username(conn, candidate) is None
                    and accounts.lookalike_of(candidate, taken) is None):
                return candidate
    raise SsoError("provision_failed", 500, "no free username")


def _provision(svc: Services, issuer: str, subject: str, claims: dict[str, Any], client_ip: str | None) -> Any:
    display = claims.get("name") if isinstance(claims.get("name"), str) else ""
    for _ in range(5):
        username = unique_username(svc, claims)
        try:
            return accounts.create_user(svc, username, None, (display or "").strip()[:100] or None,
                                        client_ip=client_ip, oidc=(issuer, subject))
        except (ApiError, IntegrityError) as exc:  # a concurrent first login took the name or the subject
            with svc.db.read() as conn:
                row = accounts_store.get_user_by_oidc(conn, issuer, subject)
            if row is not None:
                return row
            if isinstance(exc, ApiError) and exc.code != "username_taken":
                raise SsoError("provision_failed", 400, exc.message) from exc
    raise SsoError("provision_failed", 500, "could not create the account")


def sign_in(svc: Services, issuer: str, claims: dict[str, Any], client_ip: str | None,
            user_agent: str | None) -> tuple[Any, str, str]:
    """Map (issuer, subject) to a local account (provisioning it on first login) and start a session."""
    subject = str(claims.get("sub") or "")
    if not issuer or not subject:
        raise SsoError("invalid_response", 400, "no issuer or subject")
    with svc.db.read() as conn:
        row = accounts_store.get_user_by_oidc(conn, issuer, subject)
    created = row is None
    if created:
        row = _provision(svc, issuer, subject, claims, client_ip)
    if not row.is_active or row.deleted_at is not None:
        with svc.db.begin() as conn:
            audit_store.add(conn, "server", "login_failed", actor_id=row.id,
                            details={"username": row.username, "reason": "disabled", "sso": True},
                            client_ip=client_ip)
        raise SsoError("account_disabled", 403)
    token, csrf = accounts.start_session(svc, row.id, client_ip, user_agent)
    with svc.db.begin() as conn:
        audit_store.add(conn, "server", "login", actor_id=row.id,
                        details={"sso": True, "issuer": issuer, "provisioned": created}, client_ip=client_ip)
    return row, token, csrf


def finish_login(svc: Services, client: Any, args: dict[str, str]) -> dict[str, Any]:
    """Complete the authorization-code flow in the callback; return the verified claims plus userinfo.

    Raises :class:`SsoError` for anything the provider or the browser got wrong.
    """
    from authlib.integrations.base_client.errors import MismatchingStateError, OAuthError

    if args.get("error"):
        code = "access_denied" if args.get("error") == "access_denied" else "provider_error"
        raise SsoError(code, 400, f"{args.get('error')}: {args.get('error_description', '')}"[:300])
    try:
        metadata = client.load_server_metadata()
    except Exception as exc:
        raise SsoError("provider_unreachable", 502, str(exc)[:300]) from exc
    if args.get("iss") and args["iss"] != metadata.get("issuer"):  # RFC 9207 mix-up defence
        raise SsoError("invalid_response", 400, "iss parameter does not match the issuer")
    try:
        token = client.authorize_access_token()
    except MismatchingStateError as exc:
        raise SsoError("invalid_state", 400, str(exc)) from exc
    except OAuthError as exc:
        raise SsoError("provider_error", 400, f"{exc.error}: {exc.description}"[:300]) from exc
    except Exception as exc:  # network errors, bad ID token signature/nonce/issuer
        log.warning("OIDC token exchange failed: %s", exc)
        raise SsoError("invalid_response", 400, str(exc)[:300]) from exc
    id_claims = token.get("userinfo")
    if not id_claims:
        raise SsoError("invalid_response", 400, "no verified ID token")
    claims = dict(id_claims)
    try:
        info = client.userinfo(token=token)
    except Exception as exc:
        log.warning("OIDC userinfo failed (%s); using the ID token claims", exc)
        info = {}
    if info and str(info.get("sub")) == str(claims.get("sub")):
        claims.update({k: v for k, v in info.items() if k not in {"iss", "aud", "nonce"}})
    return claims
