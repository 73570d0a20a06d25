"""The per-event session re-check is cached, and any revocation on any node ends the cached answer."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.admin.redis_server import RedisServer, redis_server


def _user_and_session(svc: Any, name: str) -> tuple[int, int]:
    from messenger.accounts import service as accounts

    row = accounts.create_user(svc, name, "correct-horse-9", name)
    _token, _csrf = accounts.start_session(svc, row.id, None, None)
    with svc.db.read() as conn:
        from sqlalchemy import text

        session_id = conn.execute(text("SELECT max(id) FROM sessions WHERE user_id = :u"), {"u": row.id}).scalar()
    return int(row.id), int(session_id)


def test_cached_check_ends_at_any_revocation(svc: Any) -> None:
    from messenger.accounts.service import revoke_all_sessions, session_is_valid

    kim, kim_session = _user_and_session(svc, "kim")
    lee, lee_session = _user_and_session(svc, "lee")
    assert session_is_valid(svc, kim_session) and session_is_valid(svc, lee_session)
    with svc.db.count_statements() as statements:
        assert session_is_valid(svc, kim_session)
    assert statements == []  # answered from the cache
    revoke_all_sessions(svc, lee, "deactivated")
    assert not session_is_valid(svc, lee_session)
    with svc.db.count_statements() as statements:
        assert session_is_valid(svc, kim_session)  # someone else's revocation: asked again, still valid
    assert len(statements) == 1
    revoke_all_sessions(svc, kim, "password_changed")
    assert not session_is_valid(svc, kim_session)
    assert not session_is_valid(svc, 10**6)  # unknown session


@pytest.fixture
def redis() -> Iterator[RedisServer]:
    with redis_server() as server:
        yield server


def test_revocation_on_one_node_reaches_the_other(make_settings: Any, redis: RedisServer) -> None:
    from messenger.accounts.service import revoke_all_sessions, session_is_valid
    from messenger.app import create_app, get_services

    settings = make_settings(STATE_STORE_REDIS_URL=redis.url)
    node_a, node_b = get_services(create_app(settings)), get_services(create_app(settings))  # one database
    try:
        kim, session = _user_and_session(node_a, "kim")
        assert session_is_valid(node_b, session) and session_is_valid(node_b, session)  # cached on node B
        revoke_all_sessions(node_a, kim, "password_changed")
        assert not session_is_valid(node_b, session)
    finally:
        for node in (node_a, node_b):
            node.state.close()
            node.db.dispose()
