"""SSO against a real OpenID Provider (npm oidc-provider on loopback) and a real server, driven like a
browser with ``requests``: discovery, authorization code + PKCE, state and nonce, provisioning."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import parse_qs, urlparse

import requests

from tests.admin.conftest import Sso
from tests.admin.oidc_provider import CLIENT_ID
from tests.helpers import LiveUser
from tests.services import free_port


def test_providers_without_sso(app: Any) -> None:
    r = app.test_client().get("/api/auth/providers")
    assert r.get_json() == {"providers": [{"id": "local"}]}
    assert app.test_client().get("/auth/oidc/login").status_code == 404


def test_first_login_provisions_then_maps_to_the_same_account(sso: Sso) -> None:
    providers = requests.get(sso.base + "/api/auth/providers", timeout=5).json()["providers"]
    assert providers == [{"id": "local"},
                         {"id": "oidc", "name": "회사 SSO", "login_url": "/auth/oidc/login"}]
    # The authorization request carries PKCE (S256), state and nonce.
    start = requests.get(sso.base + "/auth/oidc/login", allow_redirects=False, timeout=5)
    assert start.status_code == 302 and start.headers["Location"].startswith(sso.issuer)
    query = parse_qs(urlparse(start.headers["Location"]).query)
    assert query["code_challenge_method"] == ["S256"] and len(query["code_challenge"][0]) >= 43
    assert query["state"][0] and query["nonce"][0] and query["response_type"] == ["code"]

    t0 = time.monotonic()
    http, page = sso.login("alice")
    took = time.monotonic() - t0
    assert page.status_code == 200 and urlparse(page.url).path == "/"
    print(f"\nOIDC authorization-code flow (login form, consent, token, userinfo): {took * 1000:.0f} ms")
    me = http.get(sso.base + "/api/me", timeout=5).json()
    assert me["user"]["username"] == "alice" and me["user"]["display_name"] == "Test alice"
    cookie = next(c for c in http.cookies if c.name == "im_session")
    assert cookie.has_nonstandard_attr("HttpOnly") or cookie.get_nonstandard_attr("HttpOnly") is not None

    # The session works for state-changing calls and sockets like a password login.
    csrf = me["csrf_token"]
    r = http.patch(sso.base + "/api/me", json={"status_message": "SSO 사용 중"}, headers={"X-CSRF-Token": csrf})
    assert r.status_code == 200

    http2, page = sso.login("alice")
    assert http2.get(sso.base + "/api/me", timeout=5).json()["user"]["id"] == me["user"]["id"]


def test_usernames_are_derived_and_unique(sso: Sso) -> None:
    LiveUser(sso.base, "boss")  # first account: the local administrator
    LiveUser(sso.base, "carol")  # a local account already owns the name
    http, _ = sso.login("carol")
    user = http.get(sso.base + "/api/me", timeout=5).json()["user"]
    assert user["username"] == "carol-2" and user["is_admin"] is False
    # No preferred_username: the e-mail's local part; display name from "name".
    http, _ = sso.login("mail:Park.JiSung@corp.example")
    user = http.get(sso.base + "/api/me", timeout=5).json()["user"]
    assert user["username"] == "park.jisung" and user["display_name"] == "Park.JiSung 김"


def test_disabled_account_and_provider_errors_end_on_readable_pages(sso: Sso) -> None:
    boss = LiveUser(sso.base, "boss")
    http, _ = sso.login("dave")
    dave_id = http.get(sso.base + "/api/me", timeout=5).json()["user"]["id"]
    assert boss.patch(f"/api/admin/users/{dave_id}", json={"is_active": False}).status_code == 200
    assert http.get(sso.base + "/api/me", timeout=5).status_code == 401

    http, page = sso.login("dave")
    assert page.status_code == 403 and "text/html" in page.headers["Content-Type"]
    assert "비활성화" in page.text and "disabled" in page.text and "Traceback" not in page.text
    assert not any(c.name == "im_session" for c in http.cookies)

    _, page = sso.login("erin", consent=False)
    assert page.status_code == 400 and "취소" in page.text and "cancelled" in page.text

    # A forged or replayed callback: the state does not match the browser's session.
    page = requests.get(sso.base + "/auth/oidc/callback?code=abc&state=forged", timeout=5)
    assert page.status_code == 400 and "invalid_state" in page.text

    audit = boss.get("/api/admin/audit-logs?action=login_failed").json()["audit_logs"]
    assert audit[0]["details"]["reason"] == "disabled" and audit[0]["details"]["sso"] is True
    logins = boss.get("/api/admin/audit-logs?action=login").json()["audit_logs"]
    assert any(e["details"].get("sso") and e["details"].get("provisioned") for e in logins)


def test_unreachable_provider_gives_a_readable_page(make_settings: Any) -> None:
    from messenger.app import create_app, get_services

    settings = make_settings(FEATURE_OIDC_ENABLED=True, OIDC_CLIENT_ID=CLIENT_ID,
                             OIDC_ISSUER_URL=f"http://127.0.0.1:{free_port()}")
    app = create_app(settings)
    try:
        for path in ("/auth/oidc/login", "/auth/oidc/callback?code=abc&state=x"):
            page = app.test_client().get(path, headers={"Accept-Language": "en"})
            assert page.status_code == 502 and page.mimetype == "text/html", path
            assert "SSO 서버에 연결할 수 없습니다" in page.get_data(as_text=True)
            assert "cannot be reached" in page.get_data(as_text=True)
        # A provider error is shown, escaped, before anything else is tried.
        page = app.test_client().get("/auth/oidc/callback?error=server_error&error_description=<script>x</script>")
        assert page.status_code == 400 and "<script>" not in page.get_data(as_text=True)
        assert "&lt;script&gt;" in page.get_data(as_text=True)
    finally:
        get_services(app).db.dispose()
