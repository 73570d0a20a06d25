"""Migrations on start: an older database is brought to the newest schema; one at the newest is left
as it is without loading Alembic."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from messenger.ops.backup import upgrade_to
from messenger.storage import Database
from messenger.storage.migrate import HEAD, current_revision, head_revision, upgrade

ROOT = Path(__file__).resolve().parents[1]


def test_head_constant_names_the_newest_migration() -> None:
    """Adding a migration without moving HEAD would make every start skip it."""
    assert HEAD == head_revision()


def test_start_upgrades_an_older_database_and_leaves_a_current_one(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'm.db'}"
    db = Database(url)
    try:
        upgrade_to(db, "0001_initial")
        upgrade(db)
        assert current_revision(db) == HEAD
    finally:
        db.dispose()
    # A second start on the current schema: answered from alembic_version, Alembic never imported.
    probe = ("import sys; from messenger.storage import Database; from messenger.storage.migrate import upgrade; "
             f"db = Database({url!r}); upgrade(db); db.dispose(); print('alembic' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"
