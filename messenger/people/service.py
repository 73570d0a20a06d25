"""The org directory and the directory CSV import/export (server admins).

Import is all or nothing: every row is checked first and any error answers a per-row report with
nothing changed; otherwise one transaction creates and updates the accounts. A new account gets a
random temporary password, returned once in the answer and never stored in clear.
"""

from __future__ import annotations

import csv
import io
import secrets
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from messenger.accounts import service as accounts
from messenger.accounts import store as accounts_store
from messenger.accounts.passwords import hash_temporary_passwords, verify_password
from messenger.admin.service import _cell, delete_user, valid_email
from messenger.audit import store as audit_store
from messenger.core.context import Services
from messenger.core.errors import ApiError
from messenger.people import store
from messenger.rooms import store as rooms_store
from messenger.search import hangul
from messenger.search.directory import search_users

COLUMNS = store.DIRECTORY_COLUMNS
MAX_LENGTHS = {"display_name": 100, "department": 100, "title": 100, "extension": 32, "email": 255}
MAX_ROWS = 5000
MAX_FILE_BYTES = 2 * 1024 * 1024
EXTENSION_CHARS = set("0123456789+-#*() ")


@dataclass
class ImportPlan:
    create: list[dict[str, Any]] = field(default_factory=list)
    update: list[tuple[int, str, dict[str, Any]]] = field(default_factory=list)
    unchanged: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)


def _decode(data: bytes) -> str:
    """UTF-8 (with or without BOM); Excel's default "CSV" on Korean Windows (CP949) is read too."""
    if len(data) > MAX_FILE_BYTES:
        raise ApiError(400, "file_too_large", f"The directory file is larger than {MAX_FILE_BYTES} bytes")
    for encoding in ("utf-8-sig", "cp949"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ApiError(400, "invalid_encoding", "The file is neither UTF-8 nor CP949 text")


def _clean(value: str) -> str:
    """A cell as typed: NFC, trimmed; the apostrophe our export puts before ``= + - @`` is dropped."""
    text = unicodedata.normalize("NFC", value).strip()
    if len(text) > 1 and text[0] == "'" and text[1] in "=+-@":
        text = text[1:]
    return text


def _row_error(errors: list[dict[str, Any]], line: int, column: str | None, code: str, **params: Any) -> None:
    errors.append({"row": line, "column": column, "code": code, **({"params": params} if params else {})})


def parse_csv(data: bytes) -> tuple[list[str], list[tuple[int, dict[str, str]]], list[dict[str, Any]]]:
    """The header's columns, the rows (line number, {column: value}) and the row errors."""
    text = _decode(data)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise ApiError(400, "empty_file", "The file is empty") from None
    except csv.Error as err:
        raise ApiError(400, "invalid_csv", f"Not a CSV file: {err}") from None
    columns = [_clean(h).lower() for h in header]
    unknown = [c for c in columns if c not in COLUMNS]
    if unknown or "username" not in columns or len(set(columns)) != len(columns):
        raise ApiError(400, "invalid_header",
                       f"The first row must name the columns ({', '.join(COLUMNS)}); username is required",
                       {"columns": ", ".join(COLUMNS)})
    rows: list[tuple[int, dict[str, str]]] = []
    errors: list[dict[str, Any]] = []
    try:
        for cells in reader:
            line = reader.line_num
            if not any(c.strip() for c in cells):
                continue
            if len(rows) >= MAX_ROWS:
                raise ApiError(400, "too_many_rows", f"At most {MAX_ROWS} rows per import", {"max": MAX_ROWS})
            if len(cells) != len(columns):
                _row_error(errors, line, None, "wrong_column_count", expected=len(columns), found=len(cells))
                continue
            rows.append((line, {c: _clean(v) for c, v in zip(columns, cells, strict=True)}))
    except csv.Error as err:
        raise ApiError(400, "invalid_csv", f"Not a CSV file: {err}") from None
    return columns, rows, errors


def plan_import(svc: Services, data: bytes) -> ImportPlan:
    """Check every row; the accounts to create, the changes to make and the row errors."""
    columns, rows, errors = parse_csv(data)
    plan = ImportPlan(errors=errors)
    seen: dict[str, int] = {}
    checked: list[tuple[int, str, dict[str, str]]] = []
    for line, values in rows:
        ok = True
        try:
            username = accounts.normalise_username(values["username"])
        except ApiError:
            _row_error(plan.errors, line, "username", "invalid_username")
            continue
        if username.startswith("deleted-"):
            _row_error(plan.errors, line, "username", "invalid_username")
            continue
        if username in seen:
            _row_error(plan.errors, line, "username", "duplicate_username", first_row=seen[username])
            continue
        seen[username] = line
        for column, limit in MAX_LENGTHS.items():
            if len(values.get(column, "")) > limit:
                _row_error(plan.errors, line, column, "too_long", max=limit)
                ok = False
        email = values.get("email", "")
        if email and not valid_email(email):
            _row_error(plan.errors, line, "email", "invalid_email")
            ok = False
        ext = values.get("extension", "")
        if ext and not set(ext) <= EXTENSION_CHARS:
            _row_error(plan.errors, line, "extension", "invalid_extension")
            ok = False
        if ok:
            checked.append((line, username, values))
    with svc.db.read() as conn:
        existing = store.users_by_username(conn, [u for _line, u, _v in checked])
        taken = accounts_store.live_usernames(conn)
    for line, username, values in checked:
        given = {c: values[c] for c in columns if c != "username"}
        row = existing.get(username)
        if row is None:
            similar = accounts.lookalike_of(username, taken)
            if similar is not None:  # a look-alike of an existing or earlier row's username (#18)
                _row_error(plan.errors, line, "username", "username_confusable", similar_to=similar)
                continue
            taken.append(username)
            plan.create.append({"username": username, "display_name": given.get("display_name") or username,
                                "department": given.get("department", ""), "title": given.get("title", ""),
                                "extension": given.get("extension", ""), "email": given.get("email", "")})
            continue
        if row.deleted_at is not None:
            _row_error(plan.errors, line, "username", "deleted_account")
            continue
        if not given.get("display_name", row.display_name):
            given.pop("display_name")  # an empty name cell keeps the name (a name is never empty)
        changes = {k: v for k, v in given.items() if getattr(row, k) != v}
        if changes:
            plan.update.append((row.id, username, changes))
        else:
            plan.unchanged += 1
    plan.errors.sort(key=lambda e: (e["row"], e["column"] or ""))
    return plan


def import_directory(svc: Services, actor_id: int, data: bytes, client_ip: str | None) -> dict[str, Any]:
    """Apply a checked import in one transaction. Raises nothing for row errors: the caller answers
    ``errors`` (non-empty means nothing was changed)."""
    plan = plan_import(svc, data)
    if plan.errors:
        return {"errors": plan.errors}
    passwords = [secrets.token_urlsafe(9) for _ in plan.create]
    hashes = hash_temporary_passwords(passwords)
    created: list[dict[str, Any]] = []
    with svc.db.begin() as conn:
        fresh = [{**row, "password_hash": h} for row, h in zip(plan.create, hashes, strict=True)]
        store.insert_users(conn, fresh)
        ids = store.users_by_username(conn, [r["username"] for r in plan.create])
        store.update_users(conn, [(user_id, values) for user_id, _name, values in plan.update])
        for row, password in zip(plan.create, passwords, strict=True):
            user_id = ids[row["username"]].id
            created.append({"id": user_id, "username": row["username"], "display_name": row["display_name"],
                            "temporary_password": password})
            audit_store.add(conn, "server", "user_created", actor_id=actor_id, target_user_id=user_id,
                            details={"username": row["username"], "admin": False, "sso": False, "import": True},
                            client_ip=client_ip)
        # New accounts join the announcement room in this transaction, in one statement: one
        # user-changed hook per account re-read the whole room each time (13 s for 1,000 rows). They
        # have no socket yet, so there is nobody to tell.
        announcement = rooms_store.announcement_room(conn)
        if announcement is not None and created:
            rooms_store.add_members(conn, int(announcement.id), [c["id"] for c in created], rooms_store.READER,
                                    last_read_message_id=announcement.last_message_id or 0)
        audit_store.add(conn, "server", "directory_imported", actor_id=actor_id,
                        details={"created": len(plan.create), "updated": len(plan.update),
                                 "unchanged": plan.unchanged}, client_ip=client_ip)
        for user_id, _name, _values in plan.update:
            svc.realtime.queue_user_changed(conn, user_id)
    return {"created": created, "updated": [{"id": i, "username": n, "changes": sorted(v)} for i, n, v in plan.update],
            "unchanged": plan.unchanged}


def export_directory(svc: Services) -> str:
    """UTF-8 CSV with a byte-order mark (Excel shows Korean), the import's columns."""
    with svc.db.read() as conn:
        rows = store.directory_rows(conn)
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for r in rows:
        writer.writerow([_cell(getattr(r, c)) for c in COLUMNS])
    return out.getvalue()


def profile(svc: Services, user_id: int) -> dict[str, Any]:
    """One person as the directory shows them (the profile card); deleted accounts included."""
    with svc.db.read() as conn:
        row = store.user(conn, user_id)
    if row is None:
        raise ApiError(404, "not_found", "User not found")
    out = accounts.directory_dict(svc, row)
    out["is_active"] = bool(row.is_active) and row.deleted_at is None
    out["deleted"] = row.deleted_at is not None
    return out


def online_now(svc: Services, user_id: int) -> list[dict[str, Any]]:
    """The people whose presence the caller sees live (sharing a room with them, the same rule as the
    ``presence`` event) who are connected now, by name."""
    with svc.db.read() as conn:
        peers = set(rooms_store.users_sharing_a_room(conn, user_id)) - {user_id}
        rows = store.users_by_id(conn, sorted(peers))
    out = []
    for row in rows:
        if row.deleted_at is None and row.is_active and svc.realtime.presence(row.id) != "offline":
            out.append(accounts.directory_dict(svc, row))
    return sorted(out, key=lambda u: (u["display_name"], u["id"]))


# ---- self-service ----------------------------------------------------------------------------------
def delete_own_account(svc: Services, auth: accounts.Auth, password: str, client_ip: str | None) -> None:
    """``DELETE /api/me``: confirmed with the password; then exactly what a server admin's deletion does
    (messenger.admin.service.delete_user: sessions end at once, the row is anonymised, messages stay,
    every room is left with admin succession). The last active server admin cannot leave."""
    if not verify_password(auth.user.password_hash, password):
        raise ApiError(400, "invalid_credentials", "The password is wrong", {"reason": "current_password"})
    delete_user(svc, auth.user_id, auth.user_id, client_ip)


def logout_everywhere(svc: Services, auth: accounts.Auth, client_ip: str | None) -> int:
    """``POST /api/logout-all``: every session of the caller ends, this one included; their sockets get
    ``session_revoked`` and are cut at once. Returns how many sessions ended."""
    with svc.db.begin() as conn:
        ended = accounts.revoke_sessions_in(svc, conn, auth.user_id, "logout_all")
        audit_store.add(conn, "server", "logout_all", actor_id=auth.user_id, details={"sessions": len(ended)},
                        client_ip=client_ip)
    return len(ended)


# ---- org directory ----------------------------------------------------------------------------------
def _department_match(query: str, department: str) -> bool:
    return bool(department) and hangul.initials_match(query, department)


def org_directory(svc: Services, q: str = "", department: str | None = None) -> dict[str, Any]:
    """Departments with their head counts, and the people of one department or matching ``q``
    (name, username, 초성, keyboard-layout repair, or department)."""
    with svc.db.read() as conn:
        everyone = store.active_users(conn)
    counts: dict[str, int] = {}
    for row in everyone:
        counts[row.department or ""] = counts.get(row.department or "", 0) + 1
    departments = [{"name": name, "count": n} for name, n in sorted(counts.items(), key=lambda x: (x[0] == "", x[0]))]
    query = (q or "").strip()[:100]
    if query:
        by_name = search_users(svc, query, limit=200)
        ids = {r.id for r in by_name}
        by_department = [r for r in everyone if r.id not in ids and _department_match(query, r.department)]
        people = [*by_name, *by_department]
        if department is not None:
            people = [r for r in people if (r.department or "") == department]
    elif department is not None:
        people = [r for r in everyone if (r.department or "") == department]
    else:
        people = everyone
    people = people[:500]
    return {"departments": departments, "users": [accounts.directory_dict(svc, r) for r in people]}
