"""A full disk, for real: the upload folder is a 2 MiB tmpfs mounted for the test. /api/health says
``degraded`` with ``disk_low``; an upload that does not fit gets ``507 storage_full`` and leaves no
bytes and no row behind; freeing space brings both back."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from messenger.system.routes import HealthState
from tests.files.util import make_room, upload
from tests.helpers import TestUser
from tests.services import missing


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    mount = tmp_path / "uploads"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m,mode=0755", "tmpfs", str(mount)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        missing(f"permission to mount a tmpfs ({done.stderr.strip()})")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def _files(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()}


def test_full_upload_folder_degrades_health_and_refuses_uploads_cleanly(make_settings: Any,
                                                                       small_disk: Path) -> None:
    from messenger.app import create_app, get_services
    from messenger.storage.tables import files

    app = create_app(make_settings(UPLOAD_FOLDER=str(small_disk), HEALTH_MIN_FREE_MB=1,
                                   RATE_LIMIT_UPLOAD="1000/minute"))
    svc = get_services(app)
    try:
        alice, bob = TestUser(app, "alice"), TestUser(app, "bob")
        room = make_room(alice, bob)
        health = app.test_client().get("/api/health")
        assert health.status_code == 200 and health.get_json()["status"] == "ok"

        filler = small_disk / "filler.bin"
        with open(filler, "wb") as fh:  # leave about 256 KiB
            fh.write(b"\0" * (os.statvfs(small_disk).f_bavail * os.statvfs(small_disk).f_frsize - 256 * 1024))
        body = app.test_client().get("/api/health").get_json()
        assert body["status"] == "degraded" and body["reasons"] == ["disk_low"]
        assert body["disk"]["free_bytes"] < body["disk"]["min_free_bytes"] == 1024 * 1024

        before = _files(small_disk)
        r = upload(alice, room, "big.bin", os.urandom(600 * 1024))  # more than is left
        assert r.status_code == 507, r.get_data(as_text=True)
        assert r.get_json()["code"] == "storage_full" and "disk is full" in r.get_json()["error"]
        assert _files(small_disk) == before  # nothing half-written left
        with svc.db.read() as conn:
            assert conn.execute(select(func.count()).select_from(files)).scalar_one() == 0  # no row either

        filler.unlink()
        svc.state_of(HealthState).write_probe.clear()  # the next health check writes again
        assert app.test_client().get("/api/health").get_json()["status"] == "ok"
        r = upload(alice, room, "big.bin", os.urandom(600 * 1024))
        assert r.status_code == 200, r.get_data(as_text=True)
    finally:
        svc.db.dispose()


def test_read_only_database_degrades_health(make_settings: Any, pg_cluster: Any) -> None:
    """A database that answers reads but refuses writes (PostgreSQL's default_transaction_read_only, as
    on a standby or a full disk): the server runs ``degraded`` with ``db_not_writable``. Always on a
    PostgreSQL database of its own: as root, SQLite file permissions stop nothing."""
    import sqlalchemy

    from messenger.app import create_app, get_services

    database_url = pg_cluster.url(pg_cluster.create_database(template=pg_cluster.template))
    app = create_app(make_settings(HEALTH_MIN_FREE_MB=0, DATABASE_URL=database_url))
    svc = get_services(app)
    admin = sqlalchemy.create_engine(database_url, isolation_level="AUTOCOMMIT")
    name = sqlalchemy.engine.make_url(database_url).database
    try:
        assert app.test_client().get("/api/health").get_json()["status"] == "ok"
        with admin.connect() as conn:
            conn.execute(sqlalchemy.text(f'ALTER DATABASE "{name}" SET default_transaction_read_only = on'))
        svc.db.dispose()  # new connections get the setting
        svc.state_of(HealthState).write_probe.clear()  # the next health check writes again
        r = app.test_client().get("/api/health")
        body = r.get_json()
        assert r.status_code == 200 and body["status"] == "degraded", body
        assert body["reasons"] == ["db_not_writable"] and body["db"] == "ok"
    finally:
        with admin.connect() as conn:
            conn.execute(sqlalchemy.text(f'ALTER DATABASE "{name}" SET default_transaction_read_only = off'))
        admin.dispose()
        svc.db.dispose()


def test_overlapping_write_probes_do_not_report_a_writable_database_as_not_writable(
        make_settings: Any, pg_cluster: Any) -> None:
    """Two health checks at once on PostgreSQL: the second probe's delete waits on the first's row, finds
    nothing once the first commits, and its insert meets the row the first one wrote. That is a database
    taking writes; it used to report ``db_not_writable`` (seen in CI after a restart of the binary)."""
    import threading

    import sqlalchemy

    from messenger.app import create_app, get_services

    database_url = pg_cluster.url(pg_cluster.create_database(template=pg_cluster.template))
    app = create_app(make_settings(HEALTH_MIN_FREE_MB=0, DATABASE_URL=database_url))
    svc = get_services(app)
    assert app.test_client().get("/api/health").get_json()["status"] == "ok"  # the probe row exists now
    other = sqlalchemy.create_engine(database_url)
    answers: list[dict[str, Any]] = []
    try:
        with other.begin() as conn:  # the first probe, held open: it has deleted the row and not yet committed
            conn.execute(sqlalchemy.text("DELETE FROM server_settings WHERE key = 'health_probe'"))
            svc.state_of(HealthState).write_probe.clear()
            probe = threading.Thread(target=lambda: answers.append(app.test_client().get("/api/health").get_json()))
            probe.start()
            with other.connect() as watch:  # wait until the second probe's delete is waiting on our lock
                while not watch.execute(sqlalchemy.text(
                        "SELECT count(*) FROM pg_locks WHERE NOT granted")).scalar():
                    probe.join(0.02)
                    assert probe.is_alive(), answers
            conn.execute(sqlalchemy.text("INSERT INTO server_settings (key, value, updated_at) "
                                         "VALUES ('health_probe', 'first', now())"))
        probe.join(30)
        assert answers and answers[0]["status"] == "ok", answers
    finally:
        other.dispose()
        svc.db.dispose()
