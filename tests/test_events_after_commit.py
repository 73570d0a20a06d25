"""Events after commit: what a transaction queues runs once it has committed, never after a rollback."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from messenger.storage import settings_store
from messenger.storage.db import on_commit


def test_queued_callbacks_run_after_the_commit_in_order_and_see_the_stored_data(svc: Any) -> None:
    seen: list[tuple[str, str | None]] = []

    def look(tag: str) -> None:
        with svc.db.read() as conn:  # another connection: only committed data is visible there
            seen.append((tag, settings_store.get(conn, "probe")))

    with svc.db.begin() as conn:
        settings_store.put(conn, "probe", "stored")
        on_commit(conn, lambda: look("first"))
        on_commit(conn, lambda: look("second"))
        assert seen == []  # nothing runs inside the transaction
    assert seen == [("first", "stored"), ("second", "stored")]


def test_a_rolled_back_transaction_runs_nothing(svc: Any) -> None:
    ran: list[str] = []
    with pytest.raises(ValueError), svc.db.begin() as conn:
        settings_store.put(conn, "probe", "never")
        on_commit(conn, lambda: ran.append("x"))
        raise ValueError("half-way")
    assert ran == []
    with svc.db.read() as conn:
        assert settings_store.get(conn, "probe") is None
    with svc.db.begin() as conn:  # the next transaction on a pooled connection starts clean
        on_commit(conn, lambda: ran.append("next"))
    assert ran == ["next"]


def test_a_callback_may_write_in_a_transaction_of_its_own(svc: Any) -> None:
    """The first transaction's connection (and SQLite's write lock) is released before callbacks run."""

    def follow_up() -> None:
        with svc.db.begin() as conn:
            settings_store.put(conn, "probe", "follow-up")

    with svc.db.begin() as conn:
        settings_store.put(conn, "probe", "first")
        on_commit(conn, follow_up)
    with svc.db.read() as conn:
        assert settings_store.get(conn, "probe") == "follow-up"


def test_a_failing_callback_is_logged_and_the_others_still_run(svc: Any, caplog: Any) -> None:
    ran: list[str] = []

    def broken() -> None:
        raise RuntimeError("emit failed")

    with caplog.at_level(logging.ERROR, logger="messenger.storage"), svc.db.begin() as conn:
        settings_store.put(conn, "probe", "kept")
        on_commit(conn, broken)
        on_commit(conn, lambda: ran.append("after"))
    assert ran == ["after"]
    assert "after-commit callback failed" in caplog.text
    with svc.db.read() as conn:
        assert settings_store.get(conn, "probe") == "kept"


def test_queueing_outside_a_write_transaction_is_an_error(svc: Any) -> None:
    with svc.db.read() as conn, pytest.raises(RuntimeError):
        on_commit(conn, lambda: None)
