"""User preferences (GET/PATCH /api/me/preferences): defaults, checks, persistence across sessions, and
socket replies in the stored language."""

from __future__ import annotations

import datetime as dt
from typing import Any

from messenger.preferences.service import Preferences, socket_language
from tests.helpers import LiveUser, SocketRecorder, TestUser

DEFAULTS = {"language": None, "sound": True,
            "quiet_hours": {"enabled": False, "start": "19:00", "end": "08:00", "weekends": True},
            "time_zone": "Asia/Seoul"}


def test_defaults_when_nothing_is_set_and_login_required(app: Any) -> None:
    kim = TestUser(app, "kim")
    r = kim.get("/api/me/preferences")
    assert r.status_code == 200 and r.get_json() == {"preferences": DEFAULTS}
    r = app.test_client().get("/api/me/preferences")
    assert r.status_code == 401 and r.get_json()["code"] == "unauthorized"
    r = kim.client.patch("/api/me/preferences", json={"sound": False})  # no CSRF token
    assert r.status_code == 403 and r.get_json()["code"] == "csrf_failed"


def test_patch_is_stored_per_user_and_follows_the_user_to_another_session(app: Any) -> None:
    kim = TestUser(app, "kim")
    lee = TestUser(app, "lee")
    r = kim.patch("/api/me/preferences", json={"language": "en", "sound": False, "time_zone": "Europe/Berlin",
                                                "quiet_hours": {"enabled": True, "start": "22:30"}})
    assert r.status_code == 200, r.get_json()
    want = {"language": "en", "sound": False, "time_zone": "Europe/Berlin",
            "quiet_hours": {"enabled": True, "start": "22:30", "end": "08:00", "weekends": True}}
    assert r.get_json()["preferences"] == want
    # Another PC: a new login of the same user reads the same preferences.
    other_pc = TestUser(app, "kim", register=False)
    assert other_pc.get("/api/me/preferences").get_json()["preferences"] == want
    # A partial quiet_hours keeps the keys it does not name.
    r = other_pc.patch("/api/me/preferences", json={"quiet_hours": {"weekends": False}})
    assert r.get_json()["preferences"]["quiet_hours"] == {"enabled": True, "start": "22:30", "end": "08:00",
                                                          "weekends": False}
    # language null: back to "not chosen"; other users are untouched.
    r = kim.patch("/api/me/preferences", json={"language": None})
    assert r.get_json()["preferences"]["language"] is None
    assert lee.get("/api/me/preferences").get_json()["preferences"] == DEFAULTS


def test_bad_values_are_400_and_change_nothing(app: Any) -> None:
    kim = TestUser(app, "kim")
    bad = [
        ({"language": "fr"}, "invalid_field"),
        ({"language": "EN"}, "invalid_field"),
        ({"sound": "yes"}, "invalid_field"),
        ({"time_zone": "Mars/Olympus_Mons"}, "invalid_field"),
        ({"time_zone": "../../etc/passwd"}, "invalid_field"),
        ({"time_zone": ""}, "invalid_field"),
        ({"quiet_hours": {"start": "24:00"}}, "invalid_field"),
        ({"quiet_hours": {"end": "7:00"}}, "invalid_field"),
        ({"quiet_hours": {"start": "07:60"}}, "invalid_field"),
        ({"quiet_hours": {"enabled": 1}}, "invalid_field"),
        ({"quiet_hours": "22:00-07:00"}, "invalid_field"),
        ({"quiet_hours": {"from": "22:00"}}, "unknown_field"),
        ({"theme": "dark"}, "unknown_field"),
    ]
    for body, code in bad:
        r = kim.patch("/api/me/preferences", json=body)
        assert r.status_code == 400 and r.get_json()["code"] == code, (body, r.get_json())
    r = kim.patch("/api/me/preferences", data="not json", content_type="application/json")
    assert r.status_code == 400 and r.get_json()["code"] == "invalid_json"
    assert kim.get("/api/me/preferences").get_json()["preferences"] == DEFAULTS


def test_quiet_hours_window_in_the_users_time_zone() -> None:
    p = Preferences(quiet_enabled=True, quiet_start="22:00", quiet_end="07:00", quiet_weekends=True,
                    time_zone="Asia/Seoul")
    utc = dt.UTC
    # Wednesday 2026-12-02: 13:30 UTC is 22:30 in Seoul (quiet); 12:30 UTC is 21:30 (not quiet).
    assert p.in_quiet_hours(dt.datetime(2026, 12, 2, 13, 30, tzinfo=utc))
    assert not p.in_quiet_hours(dt.datetime(2026, 12, 2, 12, 30, tzinfo=utc))
    # Thursday 06:59 Seoul is quiet, 07:00 is not (the end is exclusive); naive datetimes are UTC.
    assert p.in_quiet_hours(dt.datetime(2026, 12, 2, 21, 59))
    assert not p.in_quiet_hours(dt.datetime(2026, 12, 2, 22, 0))
    # Saturday noon in Seoul: quiet with weekends, not without.
    saturday_noon = dt.datetime(2026, 12, 5, 3, 0, tzinfo=utc)
    assert p.in_quiet_hours(saturday_noon)
    assert not Preferences(quiet_enabled=True, quiet_start="22:00", quiet_end="07:00",
                           quiet_weekends=False).in_quiet_hours(saturday_noon)
    # Same day window, and disabled quiet hours.
    day = Preferences(quiet_enabled=True, quiet_start="12:00", quiet_end="13:00", quiet_weekends=False,
                      time_zone="UTC")
    assert day.in_quiet_hours(dt.datetime(2026, 12, 2, 12, 0, tzinfo=utc))
    assert not day.in_quiet_hours(dt.datetime(2026, 12, 2, 13, 0, tzinfo=utc))
    assert not Preferences(quiet_enabled=False).in_quiet_hours(dt.datetime(2026, 12, 2, 13, 30, tzinfo=utc))


def test_socket_replies_are_language_free_and_sockets_follow_the_stored_language(live_server: Any) -> None:
    kim = LiveUser(live_server.url, "kim")
    assert kim.patch("/api/me/preferences", json={"language": "en"}).status_code == 200
    # The browser says Korean; the stored preference says English.
    rec = SocketRecorder()
    rec.client.connect(kim.base, headers={"Cookie": kim.cookie_header(), "Accept-Language": "ko-KR,ko;q=0.9"},
                       transports=["websocket"], wait_timeout=10)
    try:
        bad = rec.call("set_presence", {"presence": "dancing"})
        assert bad == {"ok": False, "code": "invalid_field", "error": "Field 'presence' must be one of online, away",
                       "params": {"field": "presence", "reason": "choices", "choices": "online, away"}}
        assert [socket_language(live_server.svc, s) for s in live_server.svc.realtime.sockets_of(kim.id)] == ["en"]
        # Switching to Korean applies to the open socket at once, and every socket hears the change.
        r = kim.patch("/api/me/preferences", json={"language": "ko"})
        assert r.status_code == 200
        event = rec.wait_for("preferences")
        assert event["preferences"]["language"] == "ko"
        assert [socket_language(live_server.svc, s) for s in live_server.svc.realtime.sockets_of(kim.id)] == ["ko"]
        assert rec.call("set_presence", {"presence": "dancing"}) == bad  # still no words in the reply
    finally:
        rec.disconnect()
