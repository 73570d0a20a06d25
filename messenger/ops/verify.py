"""Verify a backup by restoring it into a scratch folder and checking everything against its manifest.

Checks, in order: the manifest's own SHA-256 (``manifest.json.sha256``), the manifest format, the size
and SHA-256 of every listed file as it is copied out, ``PRAGMA integrity_check`` and
``PRAGMA foreign_key_check`` on the restored database, the row count of every table, the schema
revision (and that this program knows it), and that every upload the database refers to exists.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from messenger.ops.common import (
    DB_FILE,
    FORMAT_NAME,
    FORMAT_VERSION,
    MANIFEST,
    MANIFEST_SUM,
    UPLOADS,
    Progress,
    checksum_line,
    copy_hashed,
    say,
    sha256_bytes,
    sqlite_revision,
    sqlite_table_counts,
)


@dataclass
class VerifyReport:
    """The outcome of :func:`verify_backup`: ``ok`` only when every check held."""

    path: Path
    problems: list[str] = field(default_factory=list)
    checks: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # true of the data backed up, not damage to the backup
    manifest: dict[str, Any] | None = None

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def schema_revision(self) -> str | None:
        return None if self.manifest is None else self.manifest.get("schema_revision")

    def summary(self) -> str:
        if self.ok:
            return f"Backup {self.path.name} is sound."
        more = f" (and {len(self.problems) - 1} more problems)" if len(self.problems) > 1 else ""
        return f"Backup {self.path.name} is NOT usable: {self.problems[0]}{more}"

    def text(self) -> str:
        lines = [f"Backup: {self.path}"]
        lines += [f"  ok      {c}" for c in self.checks]
        lines += [f"  note    {w}" for w in self.warnings]
        lines += [f"  PROBLEM {p}" for p in self.problems]
        lines.append("Result: the backup is sound and can be restored." if self.ok
                     else f"Result: the backup FAILED verification ({len(self.problems)} problems).")
        return "\n".join(lines)


def verify_backup(path: Path | str, restore_into: Path | None = None, progress: Progress | None = None) -> VerifyReport:
    """Check the backup folder ``path``. With ``restore_into`` the restored tree (``messenger.db``,
    ``uploads/``) is left there for :mod:`messenger.ops.restore`; otherwise a temporary folder is used
    and removed."""
    path = Path(path).expanduser().resolve()
    report = VerifyReport(path)
    if not path.is_dir():
        report.problems.append(f"{path} is not a folder.")
        return report
    manifest = _check_manifest(path, report)
    if manifest is None:
        return report
    report.manifest = manifest
    scratch = restore_into or Path(tempfile.mkdtemp(prefix="messenger-verify-"))
    try:
        say(progress, "Verifying: copying the backup out and checking every file")
        _restore_files(path, scratch, manifest, report)
        if (scratch / DB_FILE).exists():
            say(progress, "Verifying: checking the database")
            _check_database(scratch, manifest, report)
    finally:
        if restore_into is None:
            shutil.rmtree(scratch, ignore_errors=True)
    return report


def _check_manifest(path: Path, report: VerifyReport) -> dict[str, Any] | None:
    manifest_path = path / MANIFEST
    if not manifest_path.is_file():
        report.problems.append(f"{MANIFEST} is missing: this is not a backup folder, or it is incomplete.")
        return None
    raw = manifest_path.read_bytes()
    try:
        expected = (path / MANIFEST_SUM).read_text(encoding="ascii").split()[0].lower()
    except (OSError, UnicodeDecodeError, IndexError):
        report.problems.append(f"{MANIFEST_SUM} is missing or unreadable, so the manifest cannot be trusted.")
        expected = None
    if expected is not None:
        if sha256_bytes(raw) != expected:
            report.problems.append(f"{MANIFEST} was changed or damaged: its SHA-256 does not match {MANIFEST_SUM}.")
        elif (path / MANIFEST_SUM).read_bytes() != checksum_line(raw):
            # The whole file is what backup wrote, byte for byte, not only the hash at its start.
            report.problems.append(f"{MANIFEST_SUM} was changed: it is not exactly the line backup writes.")
        else:
            report.checks.append(f"{MANIFEST} matches its checksum")
    try:
        manifest = json.loads(raw.decode("utf-8"))
        if not isinstance(manifest, dict):
            raise ValueError("not an object")
    except (UnicodeDecodeError, ValueError) as exc:
        report.problems.append(f"{MANIFEST} is not readable JSON ({exc}).")
        return None
    if manifest.get("format") != FORMAT_NAME:
        report.problems.append(f"{MANIFEST} is not an Intranet Messenger backup manifest.")
        return None
    version = manifest.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        report.problems.append(f"Backup format version {version!r} is newer than this program understands "
                               f"({FORMAT_VERSION}); update Intranet Messenger first.")
        return None
    if not isinstance(manifest.get("files"), list) or not isinstance(manifest.get("row_counts"), dict):
        report.problems.append(f"{MANIFEST} has no file list or no row counts.")
        return None
    return manifest


def _safe_rel(rel: Any) -> str | None:
    if not isinstance(rel, str) or not rel or rel.startswith("/") or "\\" in rel:
        return None
    if any(part in ("", ".", "..") for part in rel.split("/")):
        return None
    return rel


def _restore_files(path: Path, scratch: Path, manifest: dict[str, Any], report: VerifyReport) -> None:
    listed: set[str] = set()
    bad = 0
    for entry in manifest["files"]:
        rel = _safe_rel(entry.get("path") if isinstance(entry, dict) else None)
        if rel is None:
            report.problems.append(f"{MANIFEST} lists an invalid file entry: {entry!r}.")
            bad += 1
            continue
        listed.add(rel)
        src = path / rel
        if not src.is_file():
            report.problems.append(f"{rel} is missing from the backup.")
            bad += 1
            continue
        digest, size = copy_hashed(src, scratch / rel)
        if size != entry.get("size"):
            report.problems.append(f"{rel} has {size} bytes, the manifest says {entry.get('size')}.")
            bad += 1
        elif digest != entry.get("sha256"):
            report.problems.append(f"{rel} is damaged: its SHA-256 does not match the manifest.")
            bad += 1
    if DB_FILE not in listed:
        report.problems.append(f"The manifest does not list the database snapshot {DB_FILE}.")
    (scratch / UPLOADS).mkdir(parents=True, exist_ok=True)
    if not bad:
        report.checks.append(f"all {len(listed)} files present with the right size and SHA-256")
    _check_unlisted(path, listed, report)


# Files a desktop's file manager leaves in any folder it shows; never part of a backup, never restored.
DESKTOP_CLUTTER = {".DS_Store", "Thumbs.db", "desktop.ini", "ehthumbs.db"}


def _check_unlisted(path: Path, listed: set[str], report: VerifyReport) -> None:
    """A backup holds exactly the files its manifest lists plus the manifest and its checksum. Anything
    else (anywhere in the folder; symbolic links included) is a problem: it is not what backup wrote.
    File-manager clutter (``.DS_Store``, ``Thumbs.db``, ``desktop.ini``, ``._*``) is only a note.
    Restore copies listed files only, so nothing unlisted ever reaches the data folder."""
    expected = listed | {MANIFEST, MANIFEST_SUM}
    unlisted = [p for p in sorted(path.rglob("*"))
                if (p.is_symlink() or not p.is_dir()) and p.relative_to(path).as_posix() not in expected]
    clutter = [p for p in unlisted if not p.is_symlink() and (p.name in DESKTOP_CLUTTER or p.name.startswith("._"))]
    extra = [p.relative_to(path).as_posix() for p in unlisted if p not in clutter]
    if extra:
        shown = ", ".join(extra[:5]) + (f" and {len(extra) - 5} more" if len(extra) > 5 else "")
        report.problems.append(f"{len(extra)} files in the backup folder are not in the manifest: {shown}.")
    else:
        report.checks.append("no files beside those in the manifest")
    if clutter:
        report.warnings.append(f"{len(clutter)} file-manager files ignored (not part of the backup): "
                               + ", ".join(p.relative_to(path).as_posix() for p in clutter[:5]) + ".")


def _check_database(scratch: Path, manifest: dict[str, Any], report: VerifyReport) -> None:
    from messenger.storage.migrate import MIGRATIONS_DIR

    try:
        conn = sqlite3.connect(f"file:{scratch / DB_FILE}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        report.problems.append(f"The database snapshot cannot be opened ({exc}).")
        return
    try:
        result = [r[0] for r in conn.execute("PRAGMA integrity_check")]
        if result != ["ok"]:
            report.problems.append(f"The database failed its integrity check: {'; '.join(result[:3])}.")
            return
        report.checks.append("database integrity check passed")
        fk = conn.execute("PRAGMA foreign_key_check").fetchall()
        if fk:
            report.problems.append(f"The database has {len(fk)} rows pointing at rows that do not exist "
                                   f"(first in table {fk[0][0]}).")
        else:
            report.checks.append("foreign-key check passed")
        counts = sqlite_table_counts(conn)
        expected = {str(k): v for k, v in manifest["row_counts"].items()}
        wrong = [f"{t}: {counts.get(t, 'missing')} rows, manifest says {expected.get(t, 'no such table')}"
                 for t in sorted(set(counts) | set(expected)) if counts.get(t) != expected.get(t)]
        if wrong:
            report.problems.append("Row counts differ from the manifest: " + "; ".join(wrong[:5]) + ".")
        else:
            report.checks.append(f"row counts match in all {len(counts)} tables ({sum(counts.values())} rows)")
        revision = sqlite_revision(conn)
        if revision != manifest.get("schema_revision"):
            report.problems.append(f"The database schema is {revision}, the manifest says "
                                   f"{manifest.get('schema_revision')}.")
        elif revision is not None and not _known_revision(MIGRATIONS_DIR, revision):
            report.problems.append(f"The backup was made by a newer version (schema {revision}); "
                                   "update Intranet Messenger before restoring it.")
        else:
            report.checks.append(f"schema revision {revision} can be restored by this version")
        _check_referenced_uploads(conn, scratch / UPLOADS, report)
    except sqlite3.DatabaseError as exc:
        report.problems.append(f"The database snapshot is damaged ({exc}).")
    finally:
        conn.close()


def _known_revision(migrations_dir: Path, revision: str) -> bool:
    from alembic.script import ScriptDirectory

    try:
        return ScriptDirectory(str(migrations_dir)).get_revision(revision) is not None
    except Exception:
        return False


def _check_referenced_uploads(conn: sqlite3.Connection, uploads: Path, report: VerifyReport) -> None:
    try:
        rows = conn.execute("SELECT stored_path, thumbnail_path FROM files WHERE deleted_at IS NULL").fetchall()
    except sqlite3.OperationalError:
        return
    missing = [p for row in rows for p in row if p and not (uploads / p).is_file()]
    if missing:
        report.warnings.append(f"{len(missing)} uploaded files the database refers to were already missing "
                               f"when the backup was made (for example {missing[0]}).")
    else:
        report.checks.append(f"all {len(rows)} uploaded files the database refers to are present")
