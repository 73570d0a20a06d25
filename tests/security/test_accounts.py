"""Account hardening (#18 items 2, 3, 4, 11): tombstone names, deleted accounts leave their rooms,
login timing does not tell which usernames exist, and password hashes follow the Argon2 parameters."""

from __future__ import annotations

import statistics
import time
from typing import Any

from argon2 import PasswordHasher

from messenger.accounts import store as accounts_store
from tests.helpers import TestUser


def test_a_registered_tombstone_lookalike_never_blocks_deleting_an_account(app: Any) -> None:
    boss = TestUser(app, "boss")
    kim = TestUser(app, "kim")
    # The victim's id is visible; an attacker registers the name the tombstone used to get.
    squatter = app.test_client().post("/api/register", json={"username": f"deleted-{kim.id}",
                                                             "password": "long-password-1"})
    assert squatter.status_code == 201
    r = boss.delete(f"/api/admin/users/{kim.id}")
    assert r.status_code == 200, r.get_json()
    assert kim.get("/api/me").status_code == 401  # its sessions ended
    # The tombstone form cannot be registered by anyone.
    r = app.test_client().post("/api/register", json={"username": f"deleted:{kim.id + 5}",
                                                      "password": "long-password-1"})
    assert r.status_code == 400 and r.get_json()["code"] == "invalid_username"


def test_a_deleted_account_leaves_every_room_with_admin_succession(app: Any) -> None:
    boss = TestUser(app, "boss")
    kim = TestUser(app, "kim", "김민수")
    lee = TestUser(app, "lee", "이영희")
    owned = kim.post("/api/rooms", json={"type": "group", "name": "기획팀", "member_ids": [lee.id]})
    joined = boss.post("/api/rooms", json={"type": "group", "name": "전체", "member_ids": [kim.id, lee.id]})
    direct = kim.post("/api/rooms", json={"type": "direct", "user_id": lee.id})
    room_ids = [r.get_json()["room"]["id"] for r in (owned, joined, direct)]
    assert boss.delete(f"/api/admin/users/{kim.id}").status_code == 200
    for room_id in room_ids:
        members = {m["user"]["id"]: m["role"] for m in lee.get(f"/api/rooms/{room_id}").get_json()["room"]["members"]}
        assert kim.id not in members, (room_id, members)
    owned_members = lee.get(f"/api/rooms/{room_ids[0]}").get_json()["room"]["members"]
    assert [(m["user"]["id"], m["role"]) for m in owned_members] == [(lee.id, "admin")]
    # The room list of the remaining member no longer counts the deleted account.
    listed = {r["id"]: r["members_count"] for r in lee.get("/api/rooms").get_json()["rooms"]}
    assert listed[room_ids[0]] == 1 and listed[room_ids[1]] == 2


def _login_seconds(client: Any, username: str) -> float:
    start = time.perf_counter()
    r = client.post("/api/login", json={"username": username, "password": "not-the-password"})
    elapsed = time.perf_counter() - start
    assert r.status_code == 401
    return elapsed


def test_unknown_usernames_take_as_long_as_wrong_passwords(make_settings: Any) -> None:
    from messenger.app import create_app, get_services

    app = create_app(make_settings(RATE_LIMIT_LOGIN="100000/minute"))
    try:
        TestUser(app, "kim")
        client = app.test_client()
        _login_seconds(client, "nobody-here")  # the dummy hash is made once, on first use
        known: list[float] = []
        unknown: list[float] = []
        for _ in range(9):  # interleaved, so load on the machine hits both alike
            known.append(_login_seconds(client, "kim"))
            unknown.append(_login_seconds(client, "nobody-here"))
        # Before: an unknown name skipped Argon2 and answered 3-10 times faster.
        assert statistics.median(unknown) > 0.6 * statistics.median(known), (known, unknown)
    finally:
        get_services(app).db.dispose()


def test_login_rehashes_a_password_hash_made_with_old_parameters(app: Any, svc: Any) -> None:
    kim = TestUser(app, "kim")
    old = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=2).hash(kim.password)
    with svc.db.begin() as conn:
        accounts_store.update_user(conn, kim.id, password_hash=old)
    client = app.test_client()
    assert client.post("/api/login", json={"username": "kim", "password": kim.password}).status_code == 200
    with svc.db.read() as conn:
        stored = accounts_store.get_user(conn, kim.id).password_hash
    assert stored != old and "m=19456,t=2,p=1" in stored
    # A wrong password changes nothing; the new hash still logs in.
    assert client.post("/api/login", json={"username": "kim", "password": "wrong-password"}).status_code == 401
    with svc.db.read() as conn:
        assert accounts_store.get_user(conn, kim.id).password_hash == stored
    assert client.post("/api/login", json={"username": "kim", "password": kim.password}).status_code == 200
