"""Presence you can see: idle per socket (away only when every tab is idle), manual availability with a
message reaching exactly the people who share a room, the online-now list, the idle setting."""

from __future__ import annotations

from typing import Any

import requests

from tests.helpers import LiveUser, presence_updates


def updates(rec: Any) -> list[dict[str, Any]]:
    """Every presence update a socket received, in order (they come in coalesced ``presence_batch``es)."""
    return [u for d in rec.of("presence_batch") for u in presence_updates(d)]


def wait_presence(rec: Any, predicate: Any, timeout: float = 5.0) -> dict[str, Any]:
    """The first presence update matching ``predicate``, waiting for it."""
    batch = rec.wait_for("presence_batch", lambda d: any(predicate(u) for u in presence_updates(d)), timeout)
    return next(u for u in presence_updates(batch) if predicate(u))


def _kim_and_lee(live_server: Any) -> tuple[LiveUser, LiveUser, LiveUser]:
    kim = LiveUser(live_server.url, "kim", "김민지")
    lee = LiveUser(live_server.url, "lee", "이서준")
    eve = LiveUser(live_server.url, "eve", "외부인")
    r = lee.post("/api/rooms", json={"type": "direct", "user_id": kim.id})
    assert r.status_code == 201
    return kim, lee, eve


def test_away_only_when_every_tab_is_idle(live_server: Any) -> None:
    kim, lee, _eve = _kim_and_lee(live_server)
    watcher = lee.socket()
    tab1, tab2 = kim.socket(), kim.socket()
    try:
        wait_presence(watcher, lambda d: d["user_id"] == kim.id and d["presence"] == "online")
        assert tab1.call("set_presence", {"presence": "away"}) == {"ok": True, "presence": "online"}
        assert tab1.call("set_presence", {"presence": "away"}) == {"ok": True, "presence": "online"}  # repeat: no-op
        assert tab2.call("set_presence", {"presence": "away"}) == {"ok": True, "presence": "away"}
        wait_presence(watcher, lambda d: d["user_id"] == kim.id and d["presence"] == "away")
        assert kim.get(f"/api/users/{kim.id}").json()["user"]["presence"] == "away"
        assert tab1.call("set_presence", {"presence": "online"}) == {"ok": True, "presence": "online"}
        wait_presence(watcher, lambda d: d["user_id"] == kim.id and d["presence"] == "online")
        # The active tab closes; the idle one stays: away, not offline.
        tab1.disconnect()
        wait_presence(watcher, lambda d: d["user_id"] == kim.id and d["presence"] == "away")
        # A new tab is active again.
        tab3 = kim.socket()
        wait_presence(watcher, lambda d: d["user_id"] == kim.id and d["presence"] == "online"
                         and len([e for e in updates(watcher) if e["presence"] == "online"]) >= 3)
        tab3.disconnect()
        tab2.disconnect()
        wait_presence(watcher, lambda d: d["user_id"] == kim.id and d["presence"] == "offline")
    finally:
        watcher.disconnect()


def test_availability_and_message_reach_room_peers_only(live_server: Any) -> None:
    kim, lee, eve = _kim_and_lee(live_server)
    watcher, outsider, own = lee.socket(), eve.socket(), kim.socket()
    try:
        r = kim.patch("/api/me", json={"availability": "dnd", "status_message": "회의 중 ~15시"})
        assert r.status_code == 200
        expected = {"user_id": kim.id, "presence": "online", "availability": "dnd", "status_message": "회의 중 ~15시"}
        assert wait_presence(watcher, lambda d: d["availability"] == "dnd") == expected
        assert wait_presence(own, lambda d: d["availability"] == "dnd") == expected  # other tabs too
        # The same in the room list (direct peer), the room's members and the profile.
        peer = lee.get("/api/rooms").json()["rooms"][0]["peer"]
        assert (peer["availability"], peer["status_message"], peer["presence"]) == ("dnd", "회의 중 ~15시", "online")
        # A change of display name alone is not a presence change.
        kim.patch("/api/me", json={"display_name": "김민지2"})
        assert kim.patch("/api/me", json={"availability": "online"}).status_code == 200
        wait_presence(watcher, lambda d: d["availability"] == "online")
        assert [e["availability"] for e in updates(watcher) if e["user_id"] == kim.id
                and e["availability"] != "online"] == ["dnd"]
        assert [e for e in updates(outsider) if e["user_id"] == kim.id] == []  # shares no room
    finally:
        for s in (watcher, outsider, own):
            s.disconnect()


def test_presence_batch_groups_ids_by_state_with_details_only_for_the_rest(live_server: Any) -> None:
    """The batch's shape (docs/API.md, "Coalesced events"): ids under their presence; availability and
    status message only for users who are not plainly available without one."""
    kim, lee, eve = _kim_and_lee(live_server)
    watcher = lee.socket()
    try:
        own = watcher.wait_for("presence_batch", lambda d: lee.id in d["online"])
        assert own == {"online": [lee.id], "away": [], "offline": [], "details": []}  # no per-user objects
        eve_sock = eve.socket()  # shares no room with lee: not in lee's batches
        busy = {"user_id": kim.id, "availability": "busy", "status_message": "외근"}
        assert kim.patch("/api/me", json={"availability": "busy", "status_message": "외근"}).status_code == 200
        a = kim.socket()
        came = watcher.wait_for("presence_batch", lambda d: kim.id in d["online"], timeout=10)
        assert came == {"online": [kim.id], "away": [], "offline": [], "details": [busy]}
        assert kim.patch("/api/me", json={"availability": "online", "status_message": ""}).status_code == 200
        a.call("set_presence", {"presence": "away"})
        back = watcher.wait_for("presence_batch", lambda d: kim.id in d["away"], timeout=10)
        assert back == {"online": [], "away": [kim.id], "offline": [], "details": []}  # available, no message again
        a.disconnect()
        gone = watcher.wait_for("presence_batch", lambda d: kim.id in d["offline"], timeout=10)
        assert gone == {"online": [], "away": [], "offline": [kim.id], "details": []}
        assert eve.id not in [u["user_id"] for d in watcher.of("presence_batch") for u in presence_updates(d)]
        eve_sock.disconnect()
    finally:
        watcher.disconnect()


def test_online_now_lists_connected_people_sharing_a_room(live_server: Any) -> None:
    kim, lee, eve = _kim_and_lee(live_server)
    assert lee.get("/api/people/online").json() == {"users": []}
    sockets = [kim.socket(), eve.socket()]
    try:
        kim.patch("/api/me", json={"availability": "busy"})
        online = lee.get("/api/people/online").json()["users"]
        assert [(u["username"], u["presence"], u["availability"]) for u in online] == [("kim", "online", "busy")]
        assert eve.get("/api/people/online").json() == {"users": []}  # shares no room with anyone
    finally:
        for s in sockets:
            s.disconnect()
    assert requests.get(live_server.url + "/api/people/online").status_code == 401


def test_idle_time_is_a_setting_shown_to_clients(start_server: Any) -> None:
    server = start_server(PRESENCE_IDLE_SECONDS=90)
    kim = LiveUser(server.url, "kim")
    assert kim.get("/api/config").json()["presence"] == {"idle_seconds": 90}
