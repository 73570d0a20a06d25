"""Hot statements: Core statements compiled once for SQLite and sent to the driver, same results as SQLAlchemy."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError

from messenger.storage import migrate
from messenger.storage.db import Database
from messenger.storage.hot import HotStatement
from messenger.storage.tables import rooms, users


@pytest.fixture
def db(tmp_path: Path) -> Database:
    database = Database(f"sqlite:///{tmp_path / 'hot.db'}")
    migrate.upgrade(database)
    return database


def test_compiled_statement_round_trips_like_sqlalchemy(db: Database) -> None:
    at = dt.datetime(2026, 12, 6, 23, 1, 2, 345678)
    add = HotStatement(insert(rooms).values(type=bindparam("type"), name=bindparam("name"), topic=bindparam("topic"),
                                            created_at=bindparam("at"), last_activity_at=bindparam("at"),
                                            kind=bindparam("kind"), members_post_notices=bindparam("members_post"))
                       .returning(rooms.c.id))
    touch = HotStatement(update(rooms).values(last_activity_at=bindparam("at"))
                         .where(rooms.c.id == bindparam("room"), rooms.c.last_activity_at < bindparam("at")))
    with db.count_statements() as seen, db.begin() as conn:
        room_id = add(conn, {"type": "group", "name": "팀", "topic": "", "at": at, "kind": "chat",
                             "members_post": False}).fetchone()[0]
        assert touch(conn, {"room": room_id, "at": at + dt.timedelta(seconds=1)}).rowcount == 1
        assert touch(conn, {"room": room_id, "at": at}).rowcount == 0  # the datetime compares as SQLAlchemy stored it
    assert len(seen) == 3 and seen[0].startswith("INSERT INTO rooms")
    with db.read() as conn:
        row = conn.execute(select(rooms.c.name, rooms.c.created_at, rooms.c.last_activity_at)
                           .where(rooms.c.id == room_id)).one()  # (the migrations made the announcement room)
    assert tuple(row) == ("팀", at, at + dt.timedelta(seconds=1))


def test_driver_errors_are_sqlalchemy_errors(db: Database) -> None:
    add = HotStatement(insert(rooms).values(type=bindparam("type"), name=bindparam("name"), topic=bindparam("name"),
                                            direct_key=bindparam("key"), created_at=bindparam("at"),
                                            last_activity_at=bindparam("at"), kind=bindparam("kind"),
                                            members_post_notices=bindparam("members_post")))
    values = {"type": "direct", "name": "", "key": "1:2", "at": dt.datetime(2026, 1, 1), "kind": "chat",
              "members_post": False}
    with db.begin() as conn:
        add(conn, values)
        with pytest.raises(IntegrityError):  # direct_key is unique
            add(conn, values)


def test_values_the_driver_would_not_receive_are_refused(db: Database) -> None:
    literal = HotStatement(select(users.c.id).where(users.c.username == "kim"))
    defaults = HotStatement(insert(users).values(username=bindparam("name"), display_name=bindparam("name"),
                                                 created_at=bindparam("at")))  # is_admin etc. have Python defaults
    with db.begin() as conn:
        with pytest.raises(ValueError, match="literal"):
            literal(conn, {})
        with pytest.raises(ValueError, match="defaults"):
            defaults(conn, {"name": "kim", "at": dt.datetime(2026, 1, 1)})
