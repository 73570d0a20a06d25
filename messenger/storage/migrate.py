"""Versioned migrations (Alembic), applied on every start.

Alembic is imported only when there is something to do: a database already at :data:`HEAD` (every
start but the first after an update) is answered by one read of ``alembic_version``, ~0.15 s less
start-up. A test keeps :data:`HEAD` equal to the newest script.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from messenger.storage.db import Database

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
HEAD = "0013_server_defaults"  # the newest revision in migrations/versions


def _config(db: Database) -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["engine"] = db.engine
    return cfg


def _stored_revisions(db: Database) -> set[str] | None:
    """The revisions recorded in ``alembic_version``; None when the table is not there yet."""
    try:
        with db.engine.connect() as conn:
            return {str(r[0]) for r in conn.execute(text("SELECT version_num FROM alembic_version"))}
    except DBAPIError:
        return None


def upgrade(db: Database) -> None:
    """Bring the schema to the newest revision."""
    if _stored_revisions(db) == {HEAD}:
        return
    from alembic import command

    command.upgrade(_config(db), "head")


def current_revision(db: Database) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with db.engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision() -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory(str(MIGRATIONS_DIR)).get_current_head()
