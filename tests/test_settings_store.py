"""server_settings writes: one key written by two transactions at once must not fail either of them."""

from __future__ import annotations

import threading
from typing import Any

import sqlalchemy

from messenger.storage import Database, settings_store


def test_two_writers_of_one_new_key_at_once_both_succeed_on_postgresql(pg_cluster: Any) -> None:
    """The first writer has inserted the key and not committed; the second writes the same key from another
    connection and waits on the first. With a delete followed by an insert, the second's delete found
    nothing to delete and its insert then met the committed row: a unique violation (a 500 for an admin
    saving settings twice at once). As an upsert the second waits, then updates; the later commit wins."""
    url = pg_cluster.url(pg_cluster.create_database(template=pg_cluster.template))
    db = Database(url)
    watch_engine = sqlalchemy.create_engine(url)
    errors: list[BaseException] = []

    def second_writer() -> None:
        try:
            with db.begin() as conn:
                settings_store.put(conn, "race", "second")
        except BaseException as exc:  # noqa: BLE001 - the test reports whatever the writer met
            errors.append(exc)

    try:
        with db.begin() as first:
            settings_store.put(first, "race", "first")
            writer = threading.Thread(target=second_writer)
            writer.start()
            with watch_engine.connect() as watch:  # until the second writer waits on the first one's row
                while not watch.execute(sqlalchemy.text("SELECT count(*) FROM pg_locks WHERE NOT granted")).scalar():
                    writer.join(0.02)
                    assert writer.is_alive(), errors
        writer.join(30)
        assert not writer.is_alive()
        assert errors == []
        with db.read() as conn:
            assert settings_store.get(conn, "race") == "second"
            assert settings_store.all_values(conn)["race"] == "second"
    finally:
        watch_engine.dispose()
        db.dispose()


def test_put_replaces_the_value_and_remove_deletes_it(svc: Any) -> None:
    with svc.db.begin() as conn:
        settings_store.put(conn, "k", "one")
    with svc.db.begin() as conn:
        settings_store.put(conn, "k", "two")
    with svc.db.read() as conn:
        assert settings_store.get(conn, "k") == "two"
        assert [k for k in settings_store.all_values(conn) if k == "k"] == ["k"]
    with svc.db.begin() as conn:
        settings_store.remove(conn, "k")
    with svc.db.read() as conn:
        assert settings_store.get(conn, "k") is None
