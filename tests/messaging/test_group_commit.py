"""Group commit of sends (storage/group.py): on SQLite the sends that arrive together share one
transaction. What a user sees must not change: every send acked once, every message delivered once and
in order, a failing send answers its own error while the others land, a failed COMMIT answers every
sender with an error and sends no event. On PostgreSQL each send keeps its own transaction.

The service-level bursts run inside the server's hub (``LiveServer.call``): greenlets spawned together
are runnable together, so they land in one group, as sends read from many sockets at once do.
"""

from __future__ import annotations

import sqlite3
import threading
from typing import Any

import gevent
import greenlet
from sqlalchemy import insert
from sqlalchemy.exc import OperationalError

from messenger.core.errors import ApiError
from messenger.messages import reactions, service
from messenger.messages import store as messages_store
from messenger.rooms import service as rooms_service
from messenger.storage.tables import message_mentions
from tests.helpers import LiveUser, SocketRecorder
from tests.messaging.common import group

FAST = {"SOCKET_SEND_MESSAGE_PER_MINUTE": 100_000}


def _attempt(svc: Any, user_id: int, room_id: int, body: dict[str, Any]) -> tuple[str, Any]:
    try:
        message, created = service.send_from_client(svc, user_id, room_id, body)
    except ApiError as err:
        return "error", err.code
    except Exception as exc:  # a failed COMMIT reaches the sender as an exception (internal_error)
        return "failed", type(exc).__name__
    return ("new" if created else "duplicate"), message["id"]


def _stats(svc: Any) -> tuple[int, int]:
    return svc.db.groups.stats() if svc.db.groups is not None else (0, 0)


def _room_messages(recorder: SocketRecorder, room_id: int) -> list[int]:
    """The ids of the users' messages (not system messages) of the room this socket received, in order."""
    return [e["message"]["id"] for e in recorder.of("new_message")
            if e["message"]["room_id"] == room_id and e["message"]["type"] != "system"]


def _in_order(received: list[int], db_backend: str) -> list[int]:
    """On SQLite a room's messages are delivered in the order they were stored (one writer, events in
    commit order). On PostgreSQL concurrent sends yield inside their transactions, so a later id can
    commit first; there only "each once" is asserted."""
    return received if db_backend == "sqlite" else sorted(received)


def _settle(recorder: SocketRecorder, room_id: int) -> None:
    """A round trip: the server sent this socket everything it queued for it before the answer."""
    recorder.call("join_room", {"room_id": room_id})


def test_a_burst_from_several_clients_is_acked_and_delivered_once_in_order(start_server: Any, db_backend: str) -> None:
    server = start_server(**FAST)
    users = [LiveUser(server.url, f"user{i}", f"사용자{i}") for i in range(4)]
    room = group(users[0], "버스트", *users[1:])
    sockets = [u.socket() for u in users]
    per_client = 25
    acks: list[Any] = []
    done = threading.Condition()
    before = _stats(server.svc)

    def acked(*args: Any) -> None:
        with done:
            acks.append(args[0] if args else None)
            done.notify_all()

    try:
        for n in range(per_client):  # every client's sends in flight at once, none waits for its ack
            for i, sock in enumerate(sockets):
                sock.client.emit("send_message", {"room_id": room["id"], "content": f"폭주 {i}-{n} 단어{i}x{n}",
                                                  "client_msg_id": f"b{i}-{n}"}, callback=acked)
        with done:
            assert done.wait_for(lambda: len(acks) == per_client * len(sockets), timeout=30), len(acks)
        assert all(a["ok"] and a["duplicate"] is False for a in acks), [a for a in acks if not a["ok"]]
        sent = sorted(a["message"]["id"] for a in acks)
        assert len(set(sent)) == len(sent) == 100
        for sock in sockets:  # every member, the senders too, gets each message once, oldest first
            _settle(sock, room["id"])
            sock.wait_for("new_message", lambda d: d["message"]["id"] == sent[-1])
            assert _in_order(_room_messages(sock, room["id"]), db_backend) == sent
        groups, pieces = (b - a for a, b in zip(before, _stats(server.svc), strict=True))
        if db_backend == "sqlite":
            assert pieces == 100 and groups < pieces, (groups, pieces)  # some sends shared a transaction
        else:
            assert (groups, pieces) == (0, 0)  # PostgreSQL: one transaction per send
        # Search finds every grouped message (its index rows were written in the group's transaction).
        for i in range(len(users)):
            for n in (0, per_client - 1):
                found = users[1].get("/api/search", params={"q": f"단어{i}x{n}"}).json()
                assert [r["message"]["content"] for r in found["results"]] == [f"폭주 {i}-{n} 단어{i}x{n}"]
        history = users[2].get(f"/api/rooms/{room['id']}/messages", params={"limit": 100}).json()["messages"]
        assert sorted(m["id"] for m in history) == sent
    finally:
        for sock in sockets:
            sock.disconnect()


def test_failing_sends_inside_a_group_answer_their_own_error_and_the_others_land(start_server: Any,
                                                                                   db_backend: str) -> None:
    server = start_server(**FAST)
    svc = server.svc
    kim, lee, eve = (LiveUser(server.url, n) for n in ("kim", "lee", "eve"))
    room = group(kim, "팀", lee)["id"]
    elsewhere = group(eve, "다른방", kim)["id"]
    foreign = kim.post(f"/api/rooms/{elsewhere}/messages", json={"content": "다른 방 글"}).json()["message"]["id"]
    watch = lee.socket()
    switched_out_while_open: list[Any] = []

    def burst() -> Any:
        groups = svc.db.groups
        state = groups.state(gevent.get_hub()) if groups is not None else None

        def trace(event: str, args: Any) -> None:  # no greenlet switch while the group's transaction is open
            if event in ("switch", "throw") and state is not None and state.open:
                switched_out_while_open.append(args)

        before = _stats(svc)
        sends = [(kim.id, {"content": "첫 글", "client_msg_id": "same"}),
                 (eve.id, {"content": "끼어들기"}),  # not a member
                 (kim.id, {"content": "첫 글", "client_msg_id": "same"}),  # resent within the same group
                 (kim.id, {"content": "엉뚱한 답장", "reply_to_id": foreign}),  # a reply to another room's message
                 (lee.id, {"content": "둘째 글", "client_msg_id": "lee-1"})]
        old = greenlet.settrace(trace)
        try:
            jobs = [gevent.spawn(_attempt, svc, uid, room, body) for uid, body in sends]
            gevent.joinall(jobs)
        finally:
            greenlet.settrace(old)
        return [j.value for j in jobs], before, _stats(svc)

    try:
        results, before, after = server.call(burst)
        assert switched_out_while_open == []
        (first, first_id), forbidden, (dup, dup_id), bad_reply, (second, second_id) = results
        assert (first, dup, dup_id, second) == ("new", "duplicate", first_id, "new")
        assert forbidden == ("error", "forbidden") and bad_reply == ("error", "invalid_reply")
        if db_backend == "sqlite":
            assert (after[0] - before[0], after[1] - before[1]) == (1, 5)  # one transaction for all five
        _settle(watch, room)
        watch.wait_for("new_message", lambda d: d["message"]["id"] == second_id)
        assert _room_messages(watch, room) == [first_id, second_id]
        history = lee.get(f"/api/rooms/{room}/messages").json()["messages"]
        assert [m["content"] for m in history if m["type"] == "text"] == ["둘째 글", "첫 글"]
    finally:
        watch.disconnect()


def test_a_member_kicked_while_a_group_collects_gets_an_error_and_receives_nothing(start_server: Any,
                                                                                   db_backend: str) -> None:
    server = start_server(**FAST)
    svc = server.svc
    kim, lee, park = (LiveUser(server.url, n) for n in ("kim", "lee", "park"))
    room = group(kim, "팀", lee, park)["id"]
    kicked, stays = lee.socket(), park.socket()

    def burst() -> Any:
        before = _stats(svc)
        jobs = [gevent.spawn(_attempt, svc, kim.id, room, {"content": "하나"}),
                gevent.spawn(_attempt, svc, lee.id, room, {"content": "나가기 직전"}),
                # Another writer while the group collects: its own transaction, committed before the group's
                gevent.spawn(rooms_service.remove_member, svc, kim.id, room, lee.id),
                gevent.spawn(_attempt, svc, kim.id, room, {"content": "둘"}),
                gevent.spawn(_attempt, svc, lee.id, room, {"content": "쫓겨난 뒤"})]
        gevent.joinall(jobs)
        return [j.value for j in jobs], before, _stats(svc)

    try:
        (one, lee_before, kick, two, lee_after), before, after = server.call(burst)
        assert kick is None
        assert one[0] == two[0] == "new"
        if db_backend != "sqlite":
            # PostgreSQL: each send is its own transaction and yields on the network, so whether lee's
            # sends came before the kick is a race there; every send was answered, every message delivered.
            assert {lee_before[0], lee_after[0]} <= {"new", "error"}
            landed = sorted(r[1] for r in (one, lee_before, two, lee_after) if r[0] == "new")
            _settle(stays, room)
            stays.wait_for("new_message", lambda d: d["message"]["id"] == landed[-1])
            assert sorted(_room_messages(stays, room)) == landed
            return
        assert lee_before == lee_after == ("error", "forbidden")
        assert (after[0] - before[0], after[1] - before[1]) == (1, 4)  # the kick was not part of the group
        _settle(stays, room)
        stays.wait_for("new_message", lambda d: d["message"]["id"] == two[1])
        assert _room_messages(stays, room) == [one[1], two[1]]
        kicked.call("set_presence", {"presence": "online"})  # a round trip on the kicked member's socket
        assert _room_messages(kicked, room) == []
    finally:
        kicked.disconnect()
        stays.disconnect()


def test_a_failed_commit_answers_every_sender_with_an_error_and_sends_nothing(start_server: Any,
                                                                              db_backend: str) -> None:
    server = start_server(**FAST)
    svc = server.svc
    kim, lee = LiveUser(server.url, "kim"), LiveUser(server.url, "lee")
    room = group(kim, "팀", lee)["id"]
    watch = lee.socket()
    sqlite = db_backend == "sqlite"

    def poison(conn: Any) -> None:
        """A write whose foreign key is checked only at COMMIT on SQLite (PostgreSQL: at once)."""
        if sqlite:
            conn.exec_driver_sql("PRAGMA defer_foreign_keys=ON")
        conn.execute(insert(message_mentions).values(message_id=10**9, user_id=10**9))

    def burst() -> Any:
        def poisoned() -> str:
            try:
                svc.db.write(poison)
            except Exception as exc:
                return type(exc).__name__
            return "stored"

        jobs = [gevent.spawn(_attempt, svc, kim.id, room, {"content": "하나", "client_msg_id": "c1"}),
                gevent.spawn(poisoned),
                gevent.spawn(_attempt, svc, lee.id, room, {"content": "둘"})]
        gevent.joinall(jobs)
        return [j.value for j in jobs]

    try:
        one, poisoned, two = server.call(burst)
        assert poisoned == "IntegrityError"
        if sqlite:  # the group's COMMIT failed: every sender of the group gets an error
            assert one == two == ("failed", "IntegrityError")
        else:  # PostgreSQL: the sends had transactions of their own
            assert one[0] == two[0] == "new"
        # The next send works, and its sender resends the lost one with the same client_msg_id.
        again = kim.socket()
        try:
            ack = again.call("send_message", {"room_id": room, "content": "하나", "client_msg_id": "c1"})
            assert ack["ok"] and ack["duplicate"] is (not sqlite)
            three = again.call("send_message", {"room_id": room, "content": "셋"})["message"]["id"]
        finally:
            again.disconnect()
        _settle(watch, room)
        watch.wait_for("new_message", lambda d: d["message"]["id"] == three)
        delivered = [e["message"]["content"] for e in watch.of("new_message")
                     if e["message"]["room_id"] == room and e["message"]["type"] != "system"]
        assert delivered == (["하나", "셋"] if sqlite else ["하나", "둘", "셋"])
    finally:
        watch.disconnect()


def test_edits_and_reactions_beside_a_burst_of_sends(start_server: Any, db_backend: str) -> None:
    """Writers that do not join the group run before its BEGIN or after its COMMIT on the same hub:
    nothing waits in SQLite's busy handler, nothing fails with 'database is locked'."""
    server = start_server(**FAST)
    svc = server.svc
    kim, lee = LiveUser(server.url, "kim"), LiveUser(server.url, "lee")
    room = group(kim, "팀", lee)["id"]
    target = kim.post(f"/api/rooms/{room}/messages", json={"content": "고칠 글"}).json()["message"]["id"]
    watch = lee.socket()

    def burst() -> Any:
        jobs = []
        for n in range(30):
            jobs.append(gevent.spawn(_attempt, svc, kim.id, room, {"content": f"글 {n}"}))
            if n % 10 == 5:
                jobs.append(gevent.spawn(service.edit, svc, kim.id, target, f"고친 글 {n}"))
                jobs.append(gevent.spawn(reactions.toggle, svc, lee.id, target, "👍"))
        gevent.joinall(jobs)
        return [(j.successful(), repr(j.exception)) for j in jobs], [j.value for j in jobs]

    try:
        outcomes, values = server.call(burst)
        assert all(ok for ok, _ in outcomes), outcomes
        sent = sorted(v[1] for v in values if isinstance(v, tuple) and v[0] == "new")
        assert len(sent) == 30
        edits = [v["content"] for v in values if isinstance(v, dict) and "content" in v]
        assert edits == ["고친 글 5", "고친 글 15", "고친 글 25"]  # each edit answered with its own text
        _settle(watch, room)
        watch.wait_for("new_message", lambda d: d["message"]["id"] == sent[-1])
        assert _in_order(_room_messages(watch, room), db_backend) == sent
        edited = [e["message"]["content"] for e in watch.of("message_edited")]
        assert sorted(edited) == sorted(["고친 글 5", "고친 글 15", "고친 글 25"])
        if db_backend == "sqlite":
            assert edited == ["고친 글 5", "고친 글 15", "고친 글 25"]
        assert len(watch.of("reaction_updated")) == 3
    finally:
        watch.disconnect()


def test_read_markers_join_the_group_and_each_answers_its_own(start_server: Any, db_backend: str) -> None:
    """mark_read (every client marks each message it shows) shares the sends' group on SQLite."""
    server = start_server(**FAST)
    svc = server.svc
    kim, lee, park, eve = (LiveUser(server.url, n) for n in ("kim", "lee", "park", "eve"))
    room = group(kim, "팀", lee, park)["id"]
    first, second = (kim.post(f"/api/rooms/{room}/messages", json={"content": c}).json()["message"]["id"]
                     for c in ("하나", "둘"))
    watch = kim.socket()

    def mark(user_id: int, message_id: int) -> Any:
        try:
            return service.mark_read(svc, user_id, room, message_id)
        except ApiError as err:
            return err.code

    def burst() -> Any:
        before = _stats(svc)
        jobs = [gevent.spawn(mark, lee.id, first),
                gevent.spawn(_attempt, svc, park.id, room, {"content": "셋"}),
                gevent.spawn(mark, eve.id, first),  # not a member
                gevent.spawn(mark, lee.id, second),  # the same user again, in the same group
                gevent.spawn(mark, park.id, first)]  # behind park's own new message: the marker stays
        gevent.joinall(jobs)
        return [j.value for j in jobs], before, _stats(svc)

    try:
        (lee1, sent, eve1, lee2, park1), before, after = server.call(burst)
        assert lee1 == {"room_id": room, "message_id": first}
        assert lee2 == {"room_id": room, "message_id": second}
        assert eve1 == "forbidden"
        assert sent[0] == "new" and park1 == {"room_id": room, "message_id": sent[1]}
        if db_backend == "sqlite":
            assert (after[0] - before[0], after[1] - before[1]) == (1, 5)
        _settle(watch, room)
        watch.wait_for("read_updated", lambda d: d["message_id"] == second)
        updates = [(u["user_id"], u["previous_message_id"], u["message_id"]) for u in watch.of("read_updated")]
        assert sorted(updates) == sorted([(lee.id, 0, first), (lee.id, first, second)])
    finally:
        watch.disconnect()


def test_a_full_disk_answers_the_socket_send_with_storage_full(start_server: Any, monkeypatch: Any) -> None:
    """SQLite's "database or disk is full" injected at the store layer (a real one needs a full disk): the
    sender's ack says storage_full, as HTTP's 507 does, nothing is delivered, and the resend works."""
    server = start_server(**FAST)
    kim, lee = LiveUser(server.url, "kim"), LiveUser(server.url, "lee")
    room = group(kim, "팀", lee)["id"]
    sender, watch = kim.socket(), lee.socket()
    real_insert = messages_store.insert_message

    def full(*_args: Any, **_kw: Any) -> Any:
        raise OperationalError("INSERT INTO messages", {}, sqlite3.OperationalError("database or disk is full"))

    try:
        monkeypatch.setattr(messages_store, "insert_message", full)
        ack = sender.call("send_message", {"room_id": room, "content": "못 가는 글", "client_msg_id": "full-1"})
        assert ack["ok"] is False and ack["code"] == "storage_full", ack
        monkeypatch.setattr(messages_store, "insert_message", real_insert)
        ack = sender.call("send_message", {"room_id": room, "content": "못 가는 글", "client_msg_id": "full-1"})
        assert ack["ok"] is True and ack["duplicate"] is False
        _settle(watch, room)
        watch.wait_for("new_message", lambda d: d["message"]["id"] == ack["message"]["id"])
        assert _room_messages(watch, room) == [ack["message"]["id"]]
    finally:
        sender.disconnect()
        watch.disconnect()
