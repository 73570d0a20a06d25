"""People: profile fields on the user object, own availability, admin-set directory fields, the org
directory, and the directory CSV import/export (all or nothing, temporary passwords shown once)."""

from __future__ import annotations

import csv
import io
from typing import Any

from tests.helpers import TestUser

HEADER = "username,display_name,department,title,extension,email\r\n"


def _csv(*lines: str, bom: bool = True) -> bytes:
    return (("\ufeff" if bom else "") + HEADER + "".join(line + "\r\n" for line in lines)).encode("utf-8")


def _import(user: TestUser, data: bytes) -> Any:
    return user.post("/api/admin/directory/import", data={"file": (io.BytesIO(data), "directory.csv")},
                     content_type="multipart/form-data")


def test_user_object_has_the_people_fields_and_own_status_is_editable(app: Any) -> None:
    boss = TestUser(app, "boss", "대표")
    kim = TestUser(app, "kim", "김민지")
    me = kim.get("/api/me").get_json()["user"]
    assert {k: me[k] for k in ("department", "title", "extension", "email", "availability")} == {
        "department": "", "title": "", "extension": "", "email": "", "availability": "online"}
    assert me["last_seen_at"].endswith("Z")  # login counts as seen
    r = kim.patch("/api/me", json={"availability": "busy", "status_message": "회의 중 ~15시"})
    assert r.status_code == 200
    assert r.get_json()["user"]["availability"] == "busy"
    assert r.get_json()["user"]["status_message"] == "회의 중 ~15시"
    assert kim.patch("/api/me", json={"availability": "sleeping"}).get_json()["code"] == "invalid_field"
    # Users cannot set their own directory fields; admins can.
    assert kim.patch("/api/me", json={"department": "개발팀"}).get_json()["code"] == "unknown_field"
    assert kim.patch(f"/api/admin/users/{kim.id}", json={"department": "개발팀"}).status_code == 403
    r = boss.patch(f"/api/admin/users/{kim.id}", json={"department": "개발팀", "title": "선임", "extension": "1234"})
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["user"]["department"] == "개발팀"
    assert boss.patch(f"/api/admin/users/{kim.id}", json={"email": "not-an-address"}).status_code == 400
    # Everyone sees the fields where users appear (directory search, room members).
    found = {u["username"]: u for u in boss.get("/api/users?q=김").get_json()["users"]}
    assert found["kim"]["title"] == "선임" and found["kim"]["availability"] == "busy"
    logs = boss.get("/api/admin/audit-logs?action=profile_changed").get_json()["audit_logs"]
    assert logs[0]["details"]["changes"] == {"department": "개발팀", "title": "선임", "extension": "1234"}


def test_non_admin_cannot_import_or_export_the_directory(app: Any) -> None:
    TestUser(app, "boss", "대표")
    kim = TestUser(app, "kim", "김민지")
    assert _import(kim, _csv("lee,이서준,영업팀,,,")).status_code == 403
    assert kim.get("/api/admin/directory/export").status_code == 403
    assert app.test_client().get("/api/admin/directory/export").status_code == 401
    assert [u["username"] for u in kim.get("/api/users?q=lee").get_json()["users"]] == []


def test_import_creates_and_updates_with_temporary_passwords_shown_once(app: Any) -> None:
    boss = TestUser(app, "boss", "대표")
    kim = TestUser(app, "kim", "김민지")
    r = _import(boss, _csv("kim,김민지,개발팀,선임,1234,kim@example.com",
                           "lee,이서준,영업팀,과장,2001,lee@example.com",
                           "park,,,,,"))
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    created = {c["username"]: c for c in body["created"]}
    assert sorted(created) == ["lee", "park"]
    assert [u["username"] for u in body["updated"]] == ["kim"]
    assert body["updated"][0]["changes"] == ["department", "email", "extension", "title"]
    assert created["park"]["display_name"] == "park"
    # The temporary password logs in, and must be changed.
    c = app.test_client()
    r = c.post("/api/login", json={"username": "lee", "password": created["lee"]["temporary_password"]})
    assert r.status_code == 200
    assert r.get_json()["user"]["must_change_password"] is True
    assert r.get_json()["user"]["department"] == "영업팀"
    # Existing accounts keep their password; the password appears nowhere else.
    assert kim.get("/api/me").get_json()["user"]["title"] == "선임"
    assert created["lee"]["temporary_password"] not in boss.get("/api/admin/audit-logs").get_data(as_text=True)
    # Importing the same file again changes nothing.
    again = _import(boss, _csv("kim,김민지,개발팀,선임,1234,kim@example.com")).get_json()
    assert again == {"created": [], "updated": [], "unchanged": 1}


def test_a_bad_row_changes_nothing_and_every_error_is_reported(app: Any) -> None:
    boss = TestUser(app, "boss", "대표")
    r = _import(boss, _csv("lee,이서준,영업팀,과장,2001,lee@example.com",
                           "x,너무짧은아이디,,,,",
                           "choi,최,,,내선번호,",
                           "lee,중복,,,,",
                           "jung,정,,,,not-mail",
                           "han,한,,"))
    assert r.status_code == 400
    body = r.get_json()
    assert body["code"] == "invalid_rows"
    assert [(e["row"], e["column"], e["code"]) for e in body["errors"]] == [
        (3, "username", "invalid_username"),
        (4, "extension", "invalid_extension"),
        (5, "username", "duplicate_username"),
        (6, "email", "invalid_email"),
        (7, None, "wrong_column_count"),
    ]
    users = {u["username"] for u in boss.get("/api/admin/users").get_json()["users"]}
    assert users == {"boss"}


def test_bad_files_are_refused(app: Any) -> None:
    boss = TestUser(app, "boss", "대표")
    assert _import(boss, b"").get_json()["code"] == "empty_file"
    assert _import(boss, b"name,phone\r\nkim,1\r\n").get_json()["code"] == "invalid_header"
    assert _import(boss, b"username\r\n\xff\xff\r\n").get_json()["code"] == "invalid_encoding"
    r = boss.post("/api/admin/directory/import", data={}, content_type="multipart/form-data")
    assert r.get_json()["code"] == "missing_field"


def test_excel_cp949_file_and_partial_columns(app: Any) -> None:
    """Excel's plain "CSV" on Korean Windows is CP949; a file may carry only some of the columns."""
    boss = TestUser(app, "boss", "대표")
    r = _import(boss, "username,department\r\nlee,영업팀\r\n".encode("cp949"))
    assert r.status_code == 200, r.get_json()
    lee = app.test_client().post("/api/login", json={"username": "lee",
                                                      "password": r.get_json()["created"][0]["temporary_password"]})
    assert lee.get_json()["user"]["department"] == "영업팀"


def test_export_is_excel_friendly_and_round_trips(app: Any) -> None:
    boss = TestUser(app, "boss", "대표")
    TestUser(app, "kim", "=김민지")
    boss.patch("/api/admin/users/2", json={"department": "개발팀", "extension": "+82-2-1234"})
    r = boss.get("/api/admin/directory/export")
    assert r.status_code == 200 and r.mimetype == "text/csv"
    assert "attachment" in r.headers["Content-Disposition"]
    raw = r.get_data()
    assert raw.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0] == ["username", "display_name", "department", "title", "extension", "email"]
    kim = next(row for row in rows if row[0] == "kim")
    assert kim[1] == "'=김민지" and kim[4] == "'+82-2-1234"  # never run as a formula in Excel
    # Importing the export changes nothing.
    assert _import(boss, raw).get_json() == {"created": [], "updated": [], "unchanged": 2}


def test_org_directory_by_department_name_초성_and_department(app: Any) -> None:
    boss = TestUser(app, "boss", "대표")
    _import(boss, _csv("kim,김민지,개발팀,선임,1234,", "lee,이서준,영업팀,과장,,", "park,박지훈,개발팀,,,"))
    kim = TestUser(app, "kim2", "김영희", register=True)
    body = kim.get("/api/directory").get_json()
    assert {d["name"]: d["count"] for d in body["departments"]} == {"개발팀": 2, "영업팀": 1, "": 2}
    assert body["departments"][-1]["name"] == ""  # people without a department come last

    def names(**params: str) -> list[str]:
        r = kim.get("/api/directory", query_string=params)
        assert r.status_code == 200
        return sorted(u["display_name"] for u in r.get_json()["users"])

    assert names(department="개발팀") == ["김민지", "박지훈"]
    assert names(q="ㅂㅈㅎ") == ["박지훈"]
    assert names(q="영업") == ["이서준"]
    assert names(q="ㄱㅂ") == ["김민지", "박지훈"]  # 초성 of the department
    assert names(q="김", department="개발팀") == ["김민지"]
    assert app.test_client().get("/api/directory").status_code == 401
