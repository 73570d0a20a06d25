"""Shared state and rate limits in a real redis-server, killed mid-test: the server switches to memory
within a second (health ``degraded``), chat keeps flowing, and it switches back when Redis returns."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests

from tests.admin.redis_server import RedisServer, redis_server
from tests.helpers import LiveUser


@pytest.fixture
def redis() -> Iterator[RedisServer]:
    with redis_server() as server:
        yield server


def _within(seconds: float, condition: Callable[[], bool]) -> float:
    """Seconds until ``condition()`` held; fails after ``seconds``."""
    t0 = time.monotonic()
    while not condition():
        assert time.monotonic() - t0 < seconds, f"condition not met within {seconds}s"
        time.sleep(0.02)
    return time.monotonic() - t0


def test_state_store_is_shared_atomic_and_falls_back(redis: RedisServer) -> None:
    from messenger.state.redis_store import FallbackStateStore

    node_a, node_b = FallbackStateStore(redis.url), FallbackStateStore(redis.url)
    try:
        assert node_a.status() == "ok"
        node_a.set("upload:tok", "file-7", ttl=60)
        assert node_b.get("upload:tok") == "file-7"
        # A single-use token is spent exactly once, even when both nodes race for it.
        got: list[str | None] = []
        threads = [threading.Thread(target=lambda s=s: got.append(s.pop("upload:tok")))
                   for s in (node_a, node_b) * 10]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert got.count("file-7") == 1 and node_a.get("upload:tok") is None
        assert node_a.incr("n", 2, ttl=60) == 2 and node_b.incr("n", 3, ttl=60) == 5
        assert node_a.set_if_absent("once", "a", ttl=60) and not node_b.set_if_absent("once", "b", ttl=60)
        node_a.set("short", "x", ttl=0.1)
        time.sleep(0.2)
        assert node_b.get("short") is None

        redis.kill()
        # Without any traffic the health check notices within a second.
        took = _within(1.0, lambda: node_b.status() == "degraded")
        print(f"\nRedis killed: state store degraded after {took * 1000:.0f} ms (idle node)")
        t0 = time.monotonic()
        node_a.set("k", "v", ttl=60)  # the first failing call switches at once
        assert node_a.status() == "degraded" and node_a.get("k") == "v"
        assert time.monotonic() - t0 < 1.0
        assert node_a.incr("n", 1) == 1 and node_a.pop("k") == "v" and node_a.pop("k") is None

        redis.start()
        took = _within(2.0, lambda: node_a.status() == "ok" and node_b.status() == "ok")
        print(f"Redis back: state store ok after {took * 1000:.0f} ms")
        node_a.set("after", "1")
        assert node_b.get("after") == "1"
    finally:
        node_a.close()
        node_b.close()


def test_hung_redis_is_noticed_within_a_second(redis: RedisServer) -> None:
    from messenger.state.redis_store import FallbackStateStore

    store = FallbackStateStore(redis.url)
    try:
        store.set("k", "v")
        redis.pause()  # the port stays open; Redis just stops answering
        t0 = time.monotonic()
        store.set("k2", "v2")  # times out quickly and lands in memory
        call = time.monotonic() - t0
        assert call < 1.0 and store.status() == "degraded" and store.get("k2") == "v2"
        redis.resume()
        took = _within(2.0, lambda: store.status() == "ok")
        assert store.get("k") == "v"  # Redis kept its data
        print(f"\nhung Redis: the call fell back after {call * 1000:.0f} ms; ok {took * 1000:.0f} ms after resume")
    finally:
        store.close()


def test_limits_storage_shares_counts_and_falls_back(redis: RedisServer) -> None:
    from limits import parse
    from limits.strategies import MovingWindowRateLimiter

    from messenger.state.ratelimit import build_limits_storage

    settings = type("S", (), {"RATE_LIMIT_STORAGE_URI": redis.url})()
    node_a, node_b = build_limits_storage(settings), build_limits_storage(settings)
    item = parse("4/minute")
    who = uuid.uuid4().hex
    try:
        a, b = MovingWindowRateLimiter(node_a), MovingWindowRateLimiter(node_b)
        assert [a.hit(item, who), b.hit(item, who), a.hit(item, who), b.hit(item, who)] == [True] * 4
        assert not a.hit(item, who) and not b.hit(item, who)  # the budget is shared by both nodes
        redis.kill()
        t0 = time.monotonic()
        # Memory fallback per node: limits still hold while Redis is away.
        assert [a.hit(item, who) for _ in range(6)] == [True] * 4 + [False] * 2
        assert time.monotonic() - t0 < 1.0
        assert node_a.status() == "degraded"  # type: ignore[attr-defined]
    finally:
        node_a.close()  # type: ignore[attr-defined]
        node_b.close()  # type: ignore[attr-defined]

    plain = build_limits_storage(type("S", (), {"RATE_LIMIT_STORAGE_URI": "memory://"})())
    assert type(plain).__name__ == "QuietMemoryStorage"


def _health(base: str) -> dict[str, Any]:
    return requests.get(base + "/api/health", timeout=5).json()


def test_chat_keeps_flowing_when_redis_dies_and_recovers(start_server: Any, redis: RedisServer) -> None:
    server = start_server(STATE_STORE_REDIS_URL=redis.url, RATE_LIMIT_STORAGE_URI=redis.url, RATE_LIMIT_LOGIN="6/minute",
                          SOCKET_SEND_MESSAGE_PER_MINUTE=12)
    base = server.url
    assert _health(base)["redis"] == "ok"
    assert requests.get(base + "/api/config", timeout=5).json()["features"]["redis"] is True
    kim, lee = LiveUser(base, "kim", "김"), LiveUser(base, "lee", "이")
    r = kim.post("/api/rooms", json={"type": "group", "name": "팀", "member_ids": [lee.id]})
    assert r.status_code == 201, r.text
    room = r.json()["room"]
    s_kim, s_lee = kim.socket(), lee.socket()
    try:
        def chat(text: str) -> float:
            t0 = time.perf_counter()
            ack = s_kim.call("send_message", {"room_id": room["id"], "content": text,
                                              "client_msg_id": uuid.uuid4().hex})
            assert ack["ok"] is True, ack
            s_lee.wait_for("new_message", lambda d: d["message"]["content"] == text, timeout=5)
            return time.perf_counter() - t0

        chat("Redis 있음")
        assert lee.get("/api/users?q=kim").json()["users"][0]["presence"] == "online"

        redis.kill()
        took = _within(1.0, lambda: _health(base)["redis"] == "degraded")
        print(f"\nRedis killed: /api/health says degraded after {took * 1000:.0f} ms")
        for i in range(5):
            assert chat(f"Redis 없이 {i}") < 1.0
        # The socket send limit (12/minute) is still enforced, now counted in memory (5 used so far).
        acks = [s_kim.call("send_message", {"room_id": room["id"], "content": f"많이 {i}",
                                            "client_msg_id": uuid.uuid4().hex}) for i in range(8)]
        assert [a["ok"] for a in acks] == [True] * 7 + [False] and acks[-1]["code"] == "rate_limited"
        # HTTP rate limits still hold (memory fallback): 6/minute for logins.
        codes = [requests.post(base + "/api/login", json={"username": "kim", "password": "wrong-pass-x"},
                               timeout=5).status_code for _ in range(8)]
        assert codes.count(429) >= 2 and set(codes) <= {401, 429}, codes

        redis.start()
        took = _within(2.0, lambda: _health(base)["redis"] == "ok")
        print(f"Redis back: /api/health says ok after {took * 1000:.0f} ms")
        chat("Redis 다시 있음")
        assert s_kim.client.connected and s_lee.client.connected
    finally:
        s_kim.disconnect()
        s_lee.disconnect()
