"""Look-alike usernames (#18 item 10): usernames come from a documented safe set, and a new username
whose skeleton matches an existing one is refused; display names stay free."""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers import PASSWORD, TestUser


@pytest.fixture
def app(make_settings: Any) -> Any:
    """The real app with registration's rate limit raised (these tests register many names)."""
    from messenger.app import create_app, get_services

    application = create_app(make_settings(RATE_LIMIT_REGISTER="1000/minute"))
    yield application
    get_services(application).db.dispose()


def _register(app: Any, username: str, display_name: str | None = None) -> Any:
    return app.test_client().post("/api/register", json={"username": username, "password": PASSWORD,
                                                         "display_name": display_name or "x"})


@pytest.mark.parametrize("name", [
    "\u0430lice",  # Cyrillic а
    "alic\u0435",  # Cyrillic е
    "\u03b1lice",  # Greek α
    "ali\u0441e",  # Cyrillic с
    "al\u0131ce",  # dotless ı
    "alice\u200b",  # zero-width space
    "ㅇlice",  # a Hangul jamo, not a syllable
])
def test_other_scripts_cannot_register(app: Any, name: str) -> None:
    TestUser(app, "alice")
    r = _register(app, name)
    assert r.status_code == 400 and r.get_json()["code"] == "invalid_username", (name, r.get_json())


@pytest.mark.parametrize("name", ["a1ice", "rnary", "vvendy", "cloe", "b0b", "ａｌｉｃｅ"])
def test_lookalikes_of_existing_usernames_are_refused(app: Any, name: str) -> None:
    for existing in ("alice", "mary", "wendy", "doe", "bob"):
        TestUser(app, existing)
    r = _register(app, name)
    assert r.status_code == 409 and r.get_json()["code"] in ("username_confusable", "username_taken"), r.get_json()


def test_the_safe_set_still_takes_ordinary_names(app: Any) -> None:
    TestUser(app, "alice")
    for name in ("alice.kim", "bob_2", "lee-young", "김철수", "홍길동2", "Park"):
        r = _register(app, name, display_name="\u0430lice 앨리스")  # display names stay free
        assert r.status_code == 201, (name, r.get_json())
    assert _register(app, "park").get_json()["code"] == "username_taken"


def test_sso_provisioning_and_directory_import_avoid_lookalikes(app: Any, svc: Any) -> None:
    from messenger.oidc.service import unique_username
    from messenger.people.service import plan_import

    TestUser(app, "alice")
    assert unique_username(svc, {"preferred_username": "a1ice"}) == "a1ice-2"
    assert unique_username(svc, {"preferred_username": "\u0430lice.k"}) == "lice.k"
    plan = plan_import(svc, "username,display_name\r\na1ice,가짜\r\nbob,밥\r\nb0b,가짜 밥\r\n".encode())
    assert [(e["row"], e["code"]) for e in plan.errors] == [(2, "username_confusable"), (4, "username_confusable")]
