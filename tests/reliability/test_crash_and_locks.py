"""Reliability: kill -9 mid-traffic loses no acknowledged message and duplicates none; a database
locked by another process makes requests wait, not fail or lose data."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser.server import ServerProcess
from tests.helpers import LiveUser

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def chat(tmp_path: Path) -> Iterator[tuple[ServerProcess, LiveUser, LiveUser, dict[str, Any]]]:
    """A launcher subprocess with alice and bob in one group room."""
    server = ServerProcess(tmp_path / "data")
    server.start()
    try:
        alice = LiveUser(server.url, "alice")
        bob = LiveUser(server.url, "bob")
        room = alice.post("/api/rooms", json={"type": "group", "name": "장애 시험", "member_ids": [bob.id]}).json()["room"]
        yield server, alice, bob, room
    finally:
        server.stop()


def _kill9(server: ServerProcess) -> None:
    assert server.proc is not None
    server.proc.send_signal(signal.SIGKILL)
    server.proc.wait(10)


def _all_messages(user: LiveUser, room_id: int) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    before: int | None = None
    while True:
        params = {"limit": 100, **({"before_id": before} if before else {})}
        body = user.get(f"/api/rooms/{room_id}/messages", params=params).json()
        out += body["messages"]
        if not body["has_more"]:
            return out
        before = body["messages"][-1]["id"]


def test_kill_9_while_sending_loses_no_acked_message(chat: Any) -> None:
    server, alice, bob, room = chat
    bob_sock = bob.socket()
    first = bob_sock.call("send_message", {"room_id": room["id"], "content": "before", "client_msg_id": "b-0"})
    assert first["ok"]
    last_seen_by_bob = first["message"]["id"]
    bob_sock.disconnect()

    sock = alice.socket()
    acked: dict[str, int] = {}
    attempted: list[str] = []
    killer = threading.Timer(1.0, _kill9, args=(server,))
    killer.start()
    for i in range(100000):
        cmid = f"a-{i}"
        attempted.append(cmid)
        try:
            ack = sock.call("send_message", {"room_id": room["id"], "content": f"메시지 {i}", "client_msg_id": cmid},
                            timeout=3)
        except Exception:
            break  # the server died under us
        if not ack or not ack.get("ok"):
            break
        acked[cmid] = ack["message"]["id"]
        if not killer.is_alive() and server.proc is not None and server.proc.poll() is not None:
            break
    killer.join()
    sock.disconnect()
    assert len(acked) > 10, "the server died before the test could send anything"

    server.start()
    alice.login()
    # The client retries everything that was not acknowledged, with the same client_msg_id.
    sock = alice.socket()
    for cmid in attempted:
        if cmid not in acked:
            i = cmid.split("-")[1]
            ack = sock.call("send_message", {"room_id": room["id"], "content": f"메시지 {i}", "client_msg_id": cmid})
            assert ack["ok"], ack
    # Acknowledged messages keep their ids (a resend returns the stored one, no duplicate).
    again = sock.call("send_message", {"room_id": room["id"], "content": "dup", "client_msg_id": "a-0"})
    assert again["message"]["id"] == acked["a-0"]
    sock.disconnect()

    bob.login()
    stored = _all_messages(bob, room["id"])
    by_cmid: dict[str, int] = {}
    for m in stored:
        if m.get("client_msg_id", "") and m["client_msg_id"].startswith("a-"):
            by_cmid[m["client_msg_id"]] = by_cmid.get(m["client_msg_id"], 0) + 1
    assert all(count == 1 for count in by_cmid.values()), "a message was stored twice"
    for cmid, msg_id in acked.items():
        assert by_cmid.get(cmid) == 1, f"acknowledged {cmid} (id {msg_id}) is missing after the crash"
    assert set(by_cmid) == set(attempted)
    # Bob catches up with after_id from the last message he had.
    caught: list[dict[str, Any]] = []
    after = last_seen_by_bob
    while True:
        body = bob.get(f"/api/rooms/{room['id']}/messages", params={"after_id": after, "limit": 100}).json()
        if not body["messages"]:
            break
        batch = sorted(body["messages"], key=lambda m: m["id"])
        caught += batch
        after = batch[-1]["id"]
    assert [m["client_msg_id"] for m in caught if m["type"] == "text"] == attempted


def test_database_locked_by_another_process_requests_wait(chat: Any) -> None:
    server, alice, bob, room = chat
    locker = subprocess.Popen([sys.executable, "-c", (
        "import sqlite3, sys, time\n"
        "c = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=30)\n"
        "c.execute('BEGIN EXCLUSIVE')\n"
        "print('LOCKED', flush=True)\n"
        "time.sleep(3)\n"
        "c.execute('COMMIT')\n"
    ), str(server.data_dir / "messenger.db")], stdout=subprocess.PIPE, text=True)
    assert locker.stdout is not None and locker.stdout.readline().strip() == "LOCKED"
    t0 = time.monotonic()
    results: list[Any] = []

    def send(i: int) -> None:
        r = alice.post(f"/api/rooms/{room['id']}/messages",
                       json={"content": f"잠긴 동안 {i}", "client_msg_id": f"lock-{i}"}, timeout=30)
        results.append(r.status_code)

    threads = [threading.Thread(target=send, args=(i,)) for i in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    waited = time.monotonic() - t0
    locker.wait(10)
    assert all(code in (200, 201) for code in results), results
    assert waited >= 1.5, "the writes did not wait for the lock"
    contents = {m["content"] for m in _all_messages(bob, room["id"])}
    assert {f"잠긴 동안 {i}" for i in range(5)} <= contents
    conn = sqlite3.connect(server.data_dir / "messenger.db")
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()
