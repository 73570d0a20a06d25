"""Corruption is caught; the CLI commands answer with the right exit codes and refuse while running."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from messenger.ops import autostart
from messenger.ops.backup import create_backup
from messenger.ops.common import list_backups, read_manifest
from messenger.ops.schedule import AutoBackup, is_due, load_auto_backup, run_if_due, save_auto_backup
from messenger.ops.verify import verify_backup

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def sqlite_data(tmp_path: Path) -> Any:
    """A migrated SQLite data dir with a user, a message and two uploads (file-level tests: SQLite only)."""
    import secrets

    from messenger.app import create_app, get_services
    from messenger.settings import load_settings
    from tests.ops.data import add_message, add_upload, make_room

    settings = load_settings(tmp_path / "data", env={}, overrides={"SECRET_KEY": secrets.token_urlsafe(32)})
    svc = get_services(create_app(settings))
    from messenger.accounts.service import create_user

    user = create_user(svc, "choi", "long-password-1", "최민수")
    room = make_room(svc.db, [user.id])
    add_message(svc.db, room, user.id, "첫 메시지", file_id=add_upload(svc.db, settings.upload_dir, room, user.id,
                                                                    "a.bin", b"A" * 5000))
    add_upload(svc.db, settings.upload_dir, room, user.id, "b.bin", b"B" * 7000)
    svc.db.dispose()
    return settings


def _flip(path: Path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset % len(data)] ^= 0x01
    path.write_bytes(bytes(data))


def test_one_flipped_byte_anywhere_fails_verification(sqlite_data: Any, tmp_path: Path) -> None:
    good = create_backup(sqlite_data)
    assert verify_backup(good).ok
    db_size = (good / "messenger.db").stat().st_size
    cases = {
        "db": lambda p: _flip(p / "messenger.db", db_size // 2),
        "db-header": lambda p: _flip(p / "messenger.db", 100),
        "upload": lambda p: _flip(next((p / "uploads").rglob("*.bin")), 10),
        "manifest-label": lambda p: (p / "manifest.json").write_text(
            (p / "manifest.json").read_text(encoding="utf-8").replace('"label": ""', '"label": "x"'), encoding="utf-8"),
        "manifest-byte": lambda p: _flip(p / "manifest.json", 40),
        "checksum-file": lambda p: _flip(p / "manifest.json.sha256", 3),
        "upload-missing": lambda p: next((p / "uploads").rglob("*.bin")).unlink(),
        "upload-added": lambda p: (p / "uploads" / "extra.txt").write_text("x"),
        # The checksum file is compared whole, not only the hash at its start (#18 item 12).
        "checksum-name": lambda p: _flip(p / "manifest.json.sha256", 70),
        "checksum-appended": lambda p: (p / "manifest.json.sha256").write_bytes(
            (p / "manifest.json.sha256").read_bytes() + b"0" * 64 + b"  evil.json\n"),
        # Unlisted files anywhere in the backup fail it (#18 item 13).
        "top-level-added": lambda p: (p / "notes.txt").write_text("x"),
        "folder-added": lambda p: (p / "extra" / "x.bin").parent.mkdir() or (p / "extra" / "x.bin").write_bytes(b"x"),
        "symlink-added": lambda p: (p / "passwd").symlink_to("/etc/passwd"),
    }
    for name, damage in cases.items():
        copy = tmp_path / name
        shutil.copytree(good, copy)
        damage(copy)
        report = verify_backup(copy)
        assert not report.ok, f"{name}: {report.text()}"
        assert report.problems and "FAILED" in report.text()


def test_unlisted_files_are_named_and_file_manager_clutter_is_only_a_note(sqlite_data: Any, tmp_path: Path) -> None:
    good = create_backup(sqlite_data)
    copy = tmp_path / "copy"
    shutil.copytree(good, copy)
    (copy / "notes.txt").write_text("x")
    report = verify_backup(copy)
    assert not report.ok and "notes.txt" in report.problems[0], report.text()
    (copy / "notes.txt").unlink()
    for name in (".DS_Store", "Thumbs.db", "uploads/desktop.ini", "._messenger.db"):
        (copy / name).write_bytes(b"clutter")
    report = verify_backup(copy)
    assert report.ok, report.text()
    assert any("Thumbs.db" in w for w in report.warnings), report.text()


def test_cli_backup_verify_and_restore(sqlite_data: Any, tmp_path: Path) -> None:
    from messenger.server import ServerRunner

    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISPLAY", "WAYLAND"))}
    env["LC_ALL"] = "en_US.UTF-8"  # the CLI speaks the system language; this test reads its English words
    base = [sys.executable, str(ROOT / "launcher.py")]
    data = ["--data-dir", str(sqlite_data.data_dir)]

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*base, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)

    made = run("backup", *data, "--label", "usb", "--output", str(tmp_path / "usb"))
    assert made.returncode == 0, made.stderr
    usb_backup = Path(made.stdout.strip())
    assert usb_backup.parent == tmp_path / "usb" and usb_backup.name.endswith("_usb")
    local = run("backup", *data)
    assert local.returncode == 0 and Path(local.stdout.strip()).parent == sqlite_data.backup_dir

    newest = run("verify", *data)  # no name: the newest backup in the data dir
    assert newest.returncode == 0 and "sound" in newest.stdout and local.stdout.strip() in newest.stdout
    _flip(usb_backup / "messenger.db", 5000)
    broken = run("verify", *data, str(usb_backup))
    assert broken.returncode == 1 and "messenger.db is damaged" in broken.stdout

    assert run("restore", *data, str(Path(local.stdout.strip()))).returncode == 2  # no --yes
    server = ServerRunner(sqlite_data, host="127.0.0.1", port=0)
    server.start()  # a server holds the data dir
    try:
        refused = run("restore", *data, local.stdout.strip(), "--yes")
    finally:
        server.stop()
    assert refused.returncode == 2 and "Stop it first" in refused.stderr
    bad = run("restore", *data, str(usb_backup), "--yes")
    assert bad.returncode == 2 and "NOT usable" in bad.stderr
    ok = run("restore", *data, local.stdout.strip(), "--yes")
    assert ok.returncode == 0, ok.stderr
    assert "before-restore" in ok.stdout

    from messenger.audit import store as audit_store
    from messenger.storage import Database

    db = Database(sqlite_data.database_url)
    with db.read() as conn:
        rows, _ = audit_store.query(conn, "server", limit=20)
    db.dispose()
    assert "backup_restored" in [r.action for r in rows]


def test_automatic_backups_daily_keep_n(sqlite_data: Any) -> None:
    data_dir = sqlite_data.data_dir
    assert load_auto_backup(data_dir) == AutoBackup(enabled=True, hour=2, keep=14)  # the default
    save_auto_backup(data_dir, AutoBackup(enabled=True, hour=3, keep=2))
    day = dt.datetime(2026, 11, 20, 1, 0)
    assert run_if_due(sqlite_data, now=day) is None  # before 03:00
    made = []
    for d in range(4):
        now = day + dt.timedelta(days=d, hours=4)
        made.append(run_if_due(sqlite_data, now=now))
        assert run_if_due(sqlite_data, now=now + dt.timedelta(hours=1)) is None  # once a day
    manual = create_backup(sqlite_data, label="manual")
    left = [b.path for b in list_backups(sqlite_data.backup_dir)]
    assert left == [manual, made[3], made[2]]
    assert read_manifest(made[3])["label"] == "auto"
    save_auto_backup(data_dir, AutoBackup(enabled=False, hour=3, keep=2))
    assert not is_due(load_auto_backup(data_dir), None, day + dt.timedelta(days=9, hours=5))


def test_start_at_login_writes_an_xdg_autostart_entry(tmp_path: Path, monkeypatch: Any) -> None:
    if not sys.platform.startswith("linux"):
        pytest.skip("Linux entry")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    assert not autostart.is_enabled()
    where = autostart.enable(autostart.launch_command(tmp_path / "my data"))
    assert autostart.is_enabled()
    text = Path(where).read_text(encoding="utf-8")
    assert "[Desktop Entry]" in text and "launcher.py" in text and "'" + str(tmp_path / "my data") + "'" in text
    autostart.disable()
    assert not autostart.is_enabled()
