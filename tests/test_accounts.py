"""Accounts and sessions through the real app (Flask test client)."""

from __future__ import annotations

from typing import Any

from tests.helpers import PASSWORD, TestUser


def test_first_account_is_admin_and_later_ones_are_not(app: Any) -> None:
    first = TestUser(app, "kim", "김대호")
    second = TestUser(app, "lee", "이수진")
    assert first.user["is_admin"] is True
    assert second.user["is_admin"] is False
    assert first.user["display_name"] == "김대호"


def test_register_rejects_duplicates_bad_names_and_weak_passwords(app: Any) -> None:
    c = app.test_client()
    assert c.post("/api/register", json={"username": "kim", "password": PASSWORD}).status_code == 201
    r = c.post("/api/register", json={"username": "KIM", "password": PASSWORD})
    assert r.status_code == 409 and r.get_json()["code"] == "username_taken"
    r = c.post("/api/register", json={"username": "a b/c", "password": PASSWORD})
    assert r.status_code == 400 and r.get_json()["code"] == "invalid_username"
    r = c.post("/api/register", json={"username": "park", "password": "short"})
    assert r.status_code == 400 and r.get_json()["code"] == "weak_password"
    r = c.post("/api/register", json={"username": "park"})
    assert r.status_code == 400 and r.get_json()["code"] == "missing_field"


def test_login_me_and_wrong_password(app: Any) -> None:
    user = TestUser(app, "kim")
    me = user.get("/api/me").get_json()
    assert me["user"]["username"] == "kim" and me["csrf_token"] == user.csrf
    r = app.test_client().post("/api/login", json={"username": "kim", "password": "wrong-password"})
    assert r.status_code == 401 and r.get_json()["code"] == "invalid_credentials"
    assert app.test_client().get("/api/me").get_json()["code"] == "unauthorized"


def test_session_cookie_flags_and_new_session_per_login(app: Any) -> None:
    TestUser(app, "kim")
    c = app.test_client()
    r1 = c.post("/api/login", json={"username": "kim", "password": PASSWORD})
    cookie = r1.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    r2 = c.post("/api/login", json={"username": "kim", "password": PASSWORD})
    assert r1.headers["Set-Cookie"].split(";")[0] != r2.headers["Set-Cookie"].split(";")[0]


def test_csrf_required_on_state_changing_requests(app: Any) -> None:
    user = TestUser(app, "kim")
    r = user.client.patch("/api/me", json={"display_name": "X"})
    assert r.status_code == 403 and r.get_json()["code"] == "csrf_failed"
    r = user.client.patch("/api/me", json={"display_name": "X"}, headers={"X-CSRF-Token": "wrong"})
    assert r.status_code == 403
    r = user.patch("/api/me", json={"display_name": "김철수", "status_message": "회의 중"})
    assert r.status_code == 200
    assert r.get_json()["user"]["display_name"] == "김철수"
    assert r.get_json()["user"]["status_message"] == "회의 중"


def test_password_change_revokes_other_sessions_only(app: Any) -> None:
    a = TestUser(app, "kim")
    b = TestUser(app, "kim", register=False)
    r = a.post("/api/me/password", json={"current_password": PASSWORD, "new_password": "new-password-2"})
    assert r.status_code == 200
    assert a.get("/api/me").status_code == 200
    r = b.get("/api/me")
    assert r.status_code == 401 and r.get_json()["code"] == "session_revoked"
    bad = app.test_client().post("/api/login", json={"username": "kim", "password": PASSWORD})
    assert bad.status_code == 401
    ok = app.test_client().post("/api/login", json={"username": "kim", "password": "new-password-2"})
    assert ok.status_code == 200


def test_password_change_needs_current_password(app: Any) -> None:
    a = TestUser(app, "kim")
    r = a.post("/api/me/password", json={"current_password": "nope-nope", "new_password": "new-password-2"})
    assert r.status_code == 400 and r.get_json()["code"] == "invalid_credentials"


def test_logout_ends_the_session(app: Any) -> None:
    a = TestUser(app, "kim")
    assert a.post("/api/logout").status_code == 200
    assert a.get("/api/me").status_code == 401


def test_session_expires(app: Any, svc: Any) -> None:
    import datetime as dt

    from sqlalchemy import update

    from messenger.storage.tables import sessions

    a = TestUser(app, "kim")
    with svc.db.begin() as conn:
        conn.execute(update(sessions).values(expires_at=dt.datetime(2000, 1, 1)))
    r = a.get("/api/me")
    assert r.status_code == 401 and r.get_json()["code"] == "session_expired"


def test_registration_closed(make_settings: Any) -> None:
    from messenger.app import create_app

    app = create_app(make_settings(REGISTRATION="closed"))
    r = app.test_client().post("/api/register", json={"username": "kim", "password": PASSWORD})
    assert r.status_code == 403 and r.get_json()["code"] == "registration_closed"
    assert app.test_client().get("/api/config").get_json()["registration"] == "closed"


def test_login_rate_limit(app: Any) -> None:
    c = app.test_client()
    codes = [c.post("/api/login", json={"username": "x", "password": "yyyyyyyy"}).status_code for _ in range(11)]
    assert codes[:10] == [401] * 10
    assert codes[10] == 429
    r = c.post("/api/login", json={"username": "x", "password": "yyyyyyyy"})
    assert r.get_json()["code"] == "rate_limited" and "Retry-After" in r.headers


def test_register_rate_limit(app: Any) -> None:
    c = app.test_client()
    codes = [c.post("/api/register", json={"username": f"user{i}", "password": PASSWORD}).status_code
             for i in range(6)]
    assert codes == [201] * 5 + [429]


def test_directory_search(app: Any) -> None:
    a = TestUser(app, "kim", "김대호")
    TestUser(app, "lee", "이수진")
    users = a.get("/api/users?q=이수").get_json()["users"]
    assert [u["username"] for u in users] == ["lee"]
    assert set(users[0]) >= {"id", "username", "display_name", "avatar_url", "presence"}


def test_errors_are_language_free_codes_with_params(app: Any) -> None:
    """The server answers every client alike (English text for scripts, a code and its parameters);
    the web client words the error in the user's language from its catalog."""
    c = app.test_client()
    en = c.get("/api/me", headers={"Accept-Language": "en-US"}).get_json()
    ko = c.get("/api/me", headers={"Accept-Language": "ko-KR"}).get_json()
    assert en == ko == {"error": "Login required", "code": "unauthorized"}
    kim = TestUser(app, "kim")
    r = kim.patch("/api/me", json={"display_name": "x" * 101}, headers={"Accept-Language": "ko"})
    assert r.status_code == 400
    assert r.get_json() == {"error": "Field 'display_name' must be at most 100 characters", "code": "invalid_field",
                            "params": {"field": "display_name", "reason": "max_len", "max": 100}}


def test_security_headers(app: Any) -> None:
    r = app.test_client().get("/")
    csp = r.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert r.headers["X-Content-Type-Options"] == "nosniff"


def test_trusted_proxy_client_address(make_settings: Any) -> None:
    from messenger.app import create_app, get_services
    from messenger.audit import store as audit_store

    def failed_login_ip(app: Any) -> str:
        app.test_client().post("/api/login", json={"username": "ghost", "password": "whatever-1"},
                               headers={"X-Forwarded-For": "10.20.30.40"})
        with get_services(app).db.read() as conn:
            rows, _ = audit_store.query(conn, "server", action="login_failed")
        return rows[0].client_ip

    assert failed_login_ip(create_app(make_settings())) == "127.0.0.1"  # a header from anyone is not trusted
    assert failed_login_ip(create_app(make_settings(TRUSTED_PROXIES=1))) == "10.20.30.40"
