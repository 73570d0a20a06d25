"""/api/config and /api/health as the contract says; settings validation."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from messenger.core.assets import client_build
from messenger.settings import SettingsError, load_settings


def test_config_contract(app: Any) -> None:
    cfg = app.test_client().get("/api/config").get_json()
    assert cfg["upload"]["max_size_bytes"] == 16 * 1024 * 1024
    assert isinstance(cfg["upload"]["allowed_extensions"], list)
    assert cfg["rate_limits"] == {
        "login": "10/minute", "register": "5/minute", "upload": "10/minute",
        "search_advanced": "30/minute", "socket_send_message": "100/minute",
    }
    assert cfg["features"] == {"oidc": False, "av": False, "redis": False}
    assert cfg["registration"] == "open"
    assert cfg["version"]
    assert len(cfg["client_build"]) == 16 and int(cfg["client_build"], 16) >= 0


def test_client_build_follows_the_web_client_files(tmp_path: Path) -> None:
    (tmp_path / "js").mkdir()
    (tmp_path / "js" / "app.js").write_text("let a = 1;\n")
    first = client_build(str(tmp_path))
    assert client_build(str(tmp_path)) == first  # computed once per process
    client_build.cache_clear()
    assert client_build(str(tmp_path)) == first  # the same files: the same build after a restart
    (tmp_path / "js" / "app.js").write_text("let a = 2;\n")
    client_build.cache_clear()
    assert client_build(str(tmp_path)) != first


def test_config_follows_rate_limit_overrides(make_settings: Any) -> None:
    from messenger.app import create_app

    app = create_app(make_settings(RATE_LIMIT_LOGIN="1000/minute", SOCKET_SEND_MESSAGE_PER_MINUTE=5000))
    cfg = app.test_client().get("/api/config").get_json()
    assert cfg["rate_limits"]["login"] == "1000/minute"
    assert cfg["rate_limits"]["socket_send_message"] == "5000/minute"


def test_health(app: Any) -> None:
    r = app.test_client().get("/api/health")
    assert r.status_code == 200
    body = r.get_json()
    assert body["status"] == "ok" and body["db"] == "ok"
    assert body["redis"] == "off" and body["av"] == "off" and body["version"]


@pytest.mark.parametrize(
    ("key", "value", "fragment"),
    [
        ("DEFAULT_PORT", "abc", "DEFAULT_PORT"),
        ("DEFAULT_PORT", "70000", "DEFAULT_PORT"),
        ("FEATURE_AV_SCAN_ENABLED", "maybe", "FEATURE_AV_SCAN_ENABLED"),
        ("RATE_LIMIT_LOGIN", "lots", "RATE_LIMIT_LOGIN"),
        ("RATE_LIMIT_STORAGE_URI", "mysql://x", "RATE_LIMIT_STORAGE_URI"),
        ("REGISTRATION", "sometimes", "REGISTRATION"),
    ],
)
def test_bad_setting_names_the_key(tmp_path: Path, key: str, value: str, fragment: str) -> None:
    with pytest.raises(SettingsError, match=fragment):
        load_settings(tmp_path, env={key: value})


def test_settings_precedence(tmp_path: Path) -> None:
    (tmp_path / "settings.toml").write_text('DEFAULT_PORT = 6000\nRETENTION_DAYS = 30\n', encoding="utf-8")
    s = load_settings(tmp_path, env={"DEFAULT_PORT": "7000"})
    assert s.DEFAULT_PORT == 7000 and s.RETENTION_DAYS == 30
    assert load_settings(tmp_path, env={}).DEFAULT_PORT == 6000


def test_settings_toml_unknown_key(tmp_path: Path) -> None:
    (tmp_path / "settings.toml").write_text('NOPE = 1\n', encoding="utf-8")
    with pytest.raises(SettingsError, match="NOPE"):
        load_settings(tmp_path, env={})


def test_redacted_hides_secrets(tmp_path: Path) -> None:
    s = load_settings(tmp_path, env={"OIDC_CLIENT_SECRET": "s3cret", "DATABASE_URL": "postgresql://u:pw@h/db"},
                      overrides={"SECRET_KEY": "k" * 40})
    text = str(s.redacted())
    assert "s3cret" not in text and "k" * 40 not in text and "pw@" not in text


def test_url_builders_compiled_on_first_use_build_the_same_urls(app: Any) -> None:
    """The app's URL rules compile their url_for builders lazily (start-up cost); URLs come out as before."""
    from flask import url_for

    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == "static")
    placeholder = rule._build_unknown  # url_for's builder (unknown arguments go to the query string)
    assert placeholder.__qualname__.startswith("LazyBuilderRule.")  # nothing built a URL yet
    with app.test_request_context(base_url="http://pc.local:5000"):
        assert url_for("static", filename="app.js") == "/static/app.js"
        assert url_for("static", filename="app.js", v="1 2") == "/static/app.js?v=1+2"  # unknown args: query
        assert url_for("static", filename="a/b.css", _external=True) == "http://pc.local:5000/static/a/b.css"
    assert rule._build_unknown is not placeholder  # replaced by werkzeug's own builder at first use
    with app.test_request_context():
        assert url_for("static", filename="x.png") == "/static/x.png"
