"""Corruption is caught; the CLI commands answer with the right exit codes and refuse while running."""

from __future__ import annotations

import datetime as dt
import json
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
    assert not report.ok and "notes.txt" in str(report.problems[0]), report.text()
    (copy / "notes.txt").unlink()
    for name in (".DS_Store", "Thumbs.db", "uploads/desktop.ini", "._messenger.db"):
        (copy / name).write_bytes(b"clutter")
    report = verify_backup(copy)
    assert report.ok, report.text()
    assert any("Thumbs.db" in str(w) for w in report.warnings), report.text()


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


def test_the_verify_report_speaks_the_system_language_and_stores_codes(sqlite_data: Any) -> None:
    """The same damaged backup verified from a Korean and an English terminal: every line of the report
    and the progress in that language, from the operator catalogs; the exit code and the backup path
    (standard output of ``backup``) are the same in both, and the audit entry keeps codes, not words."""
    from messenger.audit import store as audit_store
    from messenger.storage import Database

    def run(lang: str, *args: str) -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DISPLAY", "WAYLAND", "LC_", "LANG"))}
        env["LANG"] = lang
        return subprocess.run([sys.executable, str(ROOT / "launcher.py"), *args, "--data-dir",
                               str(sqlite_data.data_dir)], cwd=ROOT, env=env, capture_output=True, text=True,
                              timeout=120)

    made = {lang: run(lang, "backup") for lang in ("ko_KR.UTF-8", "en_US.UTF-8")}
    assert [m.returncode for m in made.values()] == [0, 0]
    assert all(Path(m.stdout.strip()).is_dir() for m in made.values())  # the path alone, in any language
    assert "백업을 만들었습니다" in made["ko_KR.UTF-8"].stderr and "데이터베이스 백업 중" in made["ko_KR.UTF-8"].stderr
    assert "Backup written" in made["en_US.UTF-8"].stderr and "Backing up the database" in made["en_US.UTF-8"].stderr
    backup = Path(made["en_US.UTF-8"].stdout.strip())
    _flip(backup / "messenger.db", 5000)

    ko, en = run("ko_KR.UTF-8", "verify", str(backup)), run("en_US.UTF-8", "verify", str(backup))
    assert ko.returncode == en.returncode == 1
    assert "messenger.db이(가) 손상되었습니다: SHA-256이 목록과 다릅니다." in ko.stdout
    assert "결과: 백업 검사에 실패했습니다 (문제 1개)." in ko.stdout and "  문제  " in ko.stdout
    assert "PROBLEM" not in ko.stdout and "Result:" not in ko.stdout and "Backup:" not in ko.stdout
    assert "messenger.db is damaged: its SHA-256 does not match the manifest." in en.stdout
    assert "Result: the backup FAILED verification (1 problems)." in en.stdout
    assert "검사 중: 백업을 꺼내며 모든 파일 확인" in ko.stderr and "Verifying: checking the database" in en.stderr

    db = Database(sqlite_data.database_url)
    try:
        with db.read() as conn:
            rows, _ = audit_store.query(conn, "server", limit=20)
    finally:
        db.dispose()
    verified = [r for r in rows if r.action == "backup_verified"]
    assert len(verified) == 2
    details = json.loads(verified[0].details)  # stored as JSON text
    assert details["ok"] is False
    assert details["problems"] == [{"code": "file_damaged", "params": {"path": "messenger.db"}}]


def test_damage_inside_the_database_pages_is_reported_not_raised(sqlite_data: Any, tmp_path: Path) -> None:
    """Bytes flipped inside the last page (rows and their text): SQLite's integrity check quotes what it
    found, damaged text included, and the report says so instead of failing with a decode error (seen in
    the console as a 500 on verify)."""
    good = create_backup(sqlite_data)
    db = good / "messenger.db"
    size = db.stat().st_size
    for offset in range(size - 4096, size, 61):
        copy = tmp_path / f"at-{offset}"
        shutil.copytree(good, copy)
        data = bytearray((copy / "messenger.db").read_bytes())
        data[offset] ^= 0xFF
        (copy / "messenger.db").write_bytes(bytes(data))
        report = verify_backup(copy)
        assert not report.ok, offset
        assert "FAILED" in report.text()
