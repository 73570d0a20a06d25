"""The first run: until a server admin exists, a registration from another machine needs the one-time
setup code (through the real app; the client address is what the server sees)."""

from __future__ import annotations

from typing import Any

from tests.helpers import PASSWORD

REMOTE = {"REMOTE_ADDR": "192.168.10.23"}


def _register(app: Any, name: str, environ: dict[str, str] | None = None, **extra: Any) -> Any:
    return app.test_client().post("/api/register", json={"username": name, "password": PASSWORD, **extra},
                                  environ_base=environ or {})


def _code(svc: Any) -> str:
    from messenger.accounts.setup import ensure_setup_code

    code = ensure_setup_code(svc)
    assert code is not None
    return code


def test_remote_registration_needs_the_setup_code_until_an_admin_exists(app: Any, svc: Any) -> None:
    assert app.test_client().get("/api/config").get_json()["setup_required"] is True
    r = _register(app, "mallory", REMOTE)
    assert r.status_code == 403 and r.get_json()["code"] == "setup_required"
    assert "setup code" in r.get_json()["error"]
    r = _register(app, "mallory", REMOTE, setup_code="AAAA-BBBB")
    assert r.status_code == 403 and r.get_json()["code"] == "setup_code_wrong"
    login = app.test_client().post("/api/login", json={"username": "mallory", "password": PASSWORD})
    assert login.status_code == 401  # nothing was created

    code = _code(svc)
    r = _register(app, "kim", REMOTE, setup_code=code.lower().replace("-", " "))  # typed loosely
    assert r.status_code == 201 and r.get_json()["user"]["is_admin"] is True
    assert app.test_client().get("/api/config").get_json()["setup_required"] is False
    from messenger.accounts.setup import ensure_setup_code
    from messenger.storage import settings_store

    with svc.db.read() as conn:
        assert settings_store.get(conn, "setup_code") is None  # spent
    assert ensure_setup_code(svc) is None
    r = _register(app, "lee", REMOTE)  # an ordinary registration from then on
    assert r.status_code == 201 and r.get_json()["user"]["is_admin"] is False


def test_loopback_registers_the_first_admin_as_before(app: Any, svc: Any) -> None:
    _code(svc)
    r = _register(app, "kim")  # the Flask test client is 127.0.0.1
    assert r.status_code == 201 and r.get_json()["user"]["is_admin"] is True
    r = _register(app, "lee", {"REMOTE_ADDR": "::1"})
    assert r.status_code == 201 and r.get_json()["user"]["is_admin"] is False


def test_the_code_is_stable_until_used(svc: Any) -> None:
    from messenger.accounts.setup import ALPHABET

    first = _code(svc)
    assert first == _code(svc) and len(first) == 9 and first[4] == "-"
    assert set(first.replace("-", "")) <= set(ALPHABET)


def test_behind_a_trusted_proxy_the_forwarded_address_decides(make_settings: Any) -> None:
    from messenger.app import create_app, get_services

    app = create_app(make_settings())  # no trusted proxy: the header from anyone counts for nothing
    try:
        r = app.test_client().post("/api/register", json={"username": "kim", "password": PASSWORD},
                                   headers={"X-Forwarded-For": "127.0.0.1"}, environ_base=REMOTE)
        assert r.status_code == 403 and r.get_json()["code"] == "setup_required"
    finally:
        get_services(app).db.dispose()

    app = create_app(make_settings(TRUSTED_PROXIES=1))  # (the same database on PostgreSQL)
    try:
        r = app.test_client().post("/api/register", json={"username": "mallory", "password": PASSWORD},
                                   headers={"X-Forwarded-For": "10.1.2.3"})
        assert r.status_code == 403 and r.get_json()["code"] == "setup_required"
        r = app.test_client().post("/api/register", json={"username": "kim", "password": PASSWORD},
                                   headers={"X-Forwarded-For": "127.0.0.1"}, environ_base=REMOTE)
        assert r.status_code == 201 and r.get_json()["user"]["is_admin"] is True
    finally:
        get_services(app).db.dispose()


def test_create_user_admin_from_the_command_line_still_works(make_settings: Any, monkeypatch: Any,
                                                             capsys: Any) -> None:
    import io

    from messenger.cli import main

    settings = make_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    for var in ("LC_ALL", "LC_MESSAGES", "LANGUAGE"):  # the CLI speaks the system language: read its English
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("LANG", "en_US.UTF-8")
    assert main(["create-user", "boss", "--admin", "--password-stdin", "--data-dir", str(settings.data_dir)]) == 0
    assert "server admin" in capsys.readouterr().out
