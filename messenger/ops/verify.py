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

from messenger.i18n import Texts
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

ENGLISH = Texts("en")  # for the log and exception messages; people read the words of their language


@dataclass(frozen=True)
class Finding:
    """One check's outcome as an operator-catalog key (``ops.verify_*``) and its parameters: worded in
    the tray's or the terminal's language when shown, stored as a code in the audit log."""

    key: str
    params: dict[str, Any] = field(default_factory=dict)

    def text(self, t: Texts = ENGLISH) -> str:
        return t(self.key, **self.params)

    def as_data(self) -> dict[str, Any]:
        """Language-free: ``{"code", "params"}`` (the audit log's details)."""
        return {"code": self.key.partition(".")[2].removeprefix("verify_"), "params": self.params}

    def __str__(self) -> str:
        return self.text()


def _found(key: str, **params: Any) -> Finding:
    return Finding(key, params)


@dataclass
class VerifyReport:
    """The outcome of :func:`verify_backup`: ``ok`` only when every check held."""

    path: Path
    problems: list[Finding] = field(default_factory=list)
    checks: list[Finding] = field(default_factory=list)
    warnings: list[Finding] = field(default_factory=list)  # true of the data backed up, not damage to the backup
    manifest: dict[str, Any] | None = None

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def schema_revision(self) -> str | None:
        return None if self.manifest is None else self.manifest.get("schema_revision")

    def summary(self, t: Texts = ENGLISH) -> str:
        if self.ok:
            return t("ops.verify_summary_ok", name=self.path.name)
        text = t("ops.verify_summary_bad", name=self.path.name, problem=self.problems[0].text(t))
        if len(self.problems) > 1:
            text += " " + t("ops.verify_summary_more", count=len(self.problems) - 1)
        return text

    def text(self, t: Texts = ENGLISH) -> str:
        """The report, one line per check, in the language of ``t`` (the CLI's: the system language)."""
        lines = [t("ops.verify_heading", path=str(self.path))]
        lines += [t("ops.verify_line_ok", text=c.text(t)) for c in self.checks]
        lines += [t("ops.verify_line_note", text=w.text(t)) for w in self.warnings]
        lines += [t("ops.verify_line_problem", text=p.text(t)) for p in self.problems]
        lines.append(t("ops.verify_result_ok") if self.ok else t("ops.verify_result_bad", count=len(self.problems)))
        return "\n".join(lines)

    def problem_data(self, limit: int = 5) -> list[dict[str, Any]]:
        """The first ``limit`` problems as codes and parameters (for the audit log)."""
        return [p.as_data() for p in self.problems[:limit]]


def verify_backup(path: Path | str, restore_into: Path | None = None, progress: Progress | None = None) -> VerifyReport:
    """Check the backup folder ``path``. With ``restore_into`` the restored tree (``messenger.db``,
    ``uploads/``) is left there for :mod:`messenger.ops.restore`; otherwise a temporary folder is used
    and removed."""
    path = Path(path).expanduser().resolve()
    report = VerifyReport(path)
    if not path.is_dir():
        report.problems.append(_found("ops.verify_not_a_folder", path=str(path)))
        return report
    manifest = _check_manifest(path, report)
    if manifest is None:
        return report
    report.manifest = manifest
    scratch = restore_into or Path(tempfile.mkdtemp(prefix="messenger-verify-"))
    try:
        say(progress, "ops.progress_verify_files")
        _restore_files(path, scratch, manifest, report)
        if (scratch / DB_FILE).exists():
            say(progress, "ops.progress_verify_database")
            _check_database(scratch, manifest, report)
    finally:
        if restore_into is None:
            shutil.rmtree(scratch, ignore_errors=True)
    return report


def _check_manifest(path: Path, report: VerifyReport) -> dict[str, Any] | None:
    manifest_path = path / MANIFEST
    if not manifest_path.is_file():
        report.problems.append(_found("ops.verify_manifest_missing", manifest=MANIFEST))
        return None
    raw = manifest_path.read_bytes()
    try:
        expected = (path / MANIFEST_SUM).read_text(encoding="ascii").split()[0].lower()
    except (OSError, UnicodeDecodeError, IndexError):
        report.problems.append(_found("ops.verify_checksum_missing", checksum=MANIFEST_SUM))
        expected = None
    if expected is not None:
        if sha256_bytes(raw) != expected:
            report.problems.append(_found("ops.verify_manifest_changed", manifest=MANIFEST, checksum=MANIFEST_SUM))
        elif (path / MANIFEST_SUM).read_bytes() != checksum_line(raw):
            # The whole file is what backup wrote, byte for byte, not only the hash at its start.
            report.problems.append(_found("ops.verify_checksum_changed", checksum=MANIFEST_SUM))
        else:
            report.checks.append(_found("ops.verify_manifest_ok", manifest=MANIFEST))
    try:
        manifest = json.loads(raw.decode("utf-8"))
        if not isinstance(manifest, dict):
            raise ValueError("not an object")
    except (UnicodeDecodeError, ValueError) as exc:
        report.problems.append(_found("ops.verify_manifest_unreadable", manifest=MANIFEST, reason=str(exc)))
        return None
    if manifest.get("format") != FORMAT_NAME:
        report.problems.append(_found("ops.verify_manifest_foreign", manifest=MANIFEST))
        return None
    version = manifest.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        report.problems.append(_found("ops.verify_format_newer", version=repr(version), known=FORMAT_VERSION))
        return None
    if not isinstance(manifest.get("files"), list) or not isinstance(manifest.get("row_counts"), dict):
        report.problems.append(_found("ops.verify_manifest_incomplete", manifest=MANIFEST))
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
            report.problems.append(_found("ops.verify_invalid_entry", manifest=MANIFEST, entry=repr(entry)))
            bad += 1
            continue
        listed.add(rel)
        src = path / rel
        if not src.is_file():
            report.problems.append(_found("ops.verify_file_missing", path=rel))
            bad += 1
            continue
        digest, size = copy_hashed(src, scratch / rel)
        if size != entry.get("size"):
            report.problems.append(_found("ops.verify_file_size", path=rel, size=size, expected=repr(entry.get("size"))))
            bad += 1
        elif digest != entry.get("sha256"):
            report.problems.append(_found("ops.verify_file_damaged", path=rel))
            bad += 1
    if DB_FILE not in listed:
        report.problems.append(_found("ops.verify_database_unlisted", path=DB_FILE))
    (scratch / UPLOADS).mkdir(parents=True, exist_ok=True)
    if not bad:
        report.checks.append(_found("ops.verify_files_ok", count=len(listed)))
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
        report.problems.append(_found("ops.verify_unlisted", count=len(extra), files=_first_five(extra)))
    else:
        report.checks.append(_found("ops.verify_nothing_unlisted"))
    if clutter:
        report.warnings.append(_found("ops.verify_clutter", count=len(clutter),
                                      files=_first_five([p.relative_to(path).as_posix() for p in clutter])))


def _first_five(names: list[str]) -> str:
    """Up to five names (a list, not words: the same in every language), ``…`` when there are more."""
    return ", ".join(names[:5]) + (", …" if len(names) > 5 else "")


def _check_database(scratch: Path, manifest: dict[str, Any], report: VerifyReport) -> None:
    from messenger.storage.migrate import MIGRATIONS_DIR

    try:
        conn = sqlite3.connect(f"file:{scratch / DB_FILE}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        report.problems.append(_found("ops.verify_database_unopenable", reason=str(exc)))
        return
    try:
        result = [r[0] for r in conn.execute("PRAGMA integrity_check")]
        if result != ["ok"]:
            report.problems.append(_found("ops.verify_integrity_failed", reason="; ".join(result[:3])))
            return
        report.checks.append(_found("ops.verify_integrity_ok"))
        fk = conn.execute("PRAGMA foreign_key_check").fetchall()
        if fk:
            report.problems.append(_found("ops.verify_foreign_keys_failed", count=len(fk), table=str(fk[0][0])))
        else:
            report.checks.append(_found("ops.verify_foreign_keys_ok"))
        counts = sqlite_table_counts(conn)
        expected = {str(k): v for k, v in manifest["row_counts"].items()}
        # table: rows in the snapshot / rows the manifest lists ("-": no such table there)
        wrong = [f"{t}: {counts.get(t, '-')}/{expected.get(t, '-')}"
                 for t in sorted(set(counts) | set(expected)) if counts.get(t) != expected.get(t)]
        if wrong:
            report.problems.append(_found("ops.verify_row_counts", tables="; ".join(wrong[:5]) + ("; …" if len(wrong) > 5 else "")))
        else:
            report.checks.append(_found("ops.verify_row_counts_ok", tables=len(counts), rows=sum(counts.values())))
        revision = sqlite_revision(conn)
        if revision != manifest.get("schema_revision"):
            report.problems.append(_found("ops.verify_schema_mismatch", revision=str(revision),
                                          expected=str(manifest.get("schema_revision"))))
        elif revision is not None and not _known_revision(MIGRATIONS_DIR, revision):
            report.problems.append(_found("ops.verify_schema_newer", revision=revision))
        else:
            report.checks.append(_found("ops.verify_schema_ok", revision=str(revision)))
        _check_referenced_uploads(conn, scratch / UPLOADS, report)
    except (sqlite3.DatabaseError, UnicodeDecodeError) as exc:
        # A damaged file can yield damaged text too (the integrity check quotes what it read), which the
        # driver fails to decode: the database is damaged either way.
        report.problems.append(_found("ops.verify_database_damaged", reason=str(exc)))
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
        report.warnings.append(_found("ops.verify_uploads_missing", count=len(missing), example=missing[0]))
    else:
        report.checks.append(_found("ops.verify_uploads_ok", count=len(rows)))
