"""Search over HTTP: /api/search, /api/search/advanced, /api/rooms/search and the people directory,
with messages sent, edited and deleted through the product's own API."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from sqlalchemy import update

from messenger.storage.tables import messages
from tests.helpers import TestUser


@pytest.fixture
def app(make_settings: Any) -> Any:
    from messenger.app import create_app, get_services

    application = create_app(make_settings(RATE_LIMIT_SEARCH_ADVANCED="1000/minute", RATE_LIMIT_UPLOAD="1000/minute"))
    yield application
    get_services(application).db.dispose()


def make_room(owner: TestUser, *members: TestUser, name: str = "팀방") -> int:
    r = owner.post("/api/rooms", json={"type": "group", "name": name, "member_ids": [m.id for m in members]})
    assert r.status_code == 201, r.get_json()
    return int(r.get_json()["room"]["id"])


def send(user: TestUser, room_id: int, content: str) -> dict[str, Any]:
    r = user.post(f"/api/rooms/{room_id}/messages", json={"content": content})
    assert r.status_code == 201, r.get_json()
    return r.get_json()["message"]


def send_file(user: TestUser, room_id: int, name: str, content: str = "") -> dict[str, Any]:
    data = b"%PDF-1.4\n%fake\n" if name.endswith(".pdf") else b"PK\x03\x04 fake office file"
    r = user.post("/api/upload", data={"file": (io.BytesIO(data), name),
                                       "room_id": str(room_id)}, content_type="multipart/form-data")
    assert r.status_code == 200, r.get_json()
    r = user.post(f"/api/rooms/{room_id}/messages",
                  json={"type": "file", "upload_token": r.get_json()["upload_token"], "content": content})
    assert r.status_code == 201, r.get_json()
    return r.get_json()["message"]


def search(user: TestUser, q: str, **params: Any) -> dict[str, Any]:
    r = user.get("/api/search", query_string={"q": q, **params})
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def advanced(user: TestUser, **body: Any) -> dict[str, Any]:
    r = user.post("/api/search/advanced", json=body)
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def ids(body: dict[str, Any]) -> list[int]:
    return [item["message"]["id"] for item in body["results"]]


@pytest.fixture
def team(app: Any) -> Any:
    class Team:
        kim = TestUser(app, "daeho", "김대호")
        lee = TestUser(app, "jiyoung", "이지영")
        park = TestUser(app, "minsu", "박민수")
        room = 0
        secret = 0

    Team.room = make_room(Team.kim, Team.lee, name="개발팀")
    Team.secret = make_room(Team.park, name="비밀 프로젝트")
    return Team


def test_substring_search_with_highlights_rooms_and_total(team: Any) -> None:
    weekly = send(team.kim, team.room, "내일 주간회의를 합니다")
    room = send(team.lee, team.room, "회의실 예약했어요")
    minutes = send(team.kim, team.room, "회의록 올렸습니다, 회의 끝!")
    dinner = send(team.kim, team.room, "오늘 회식")
    body = search(team.lee, "회의")
    assert ids(body) == [minutes["id"], room["id"], weekly["id"]] and body["total"] == 3
    first = body["results"][0]
    assert first["message"]["content"] == "회의록 올렸습니다, 회의 끝!"
    assert first["message"]["sender"]["id"] == team.kim.id
    assert first["room"] == {"id": team.room, "type": "group", "name": "개발팀"}
    assert first["highlights"] == [{"start": 0, "end": 2}, {"start": 11, "end": 13}]
    assert ids(search(team.lee, "회")) == [dinner["id"], minutes["id"], room["id"], weekly["id"]]
    report = send(team.lee, team.room, "Weekly REPORT is out")
    body = search(team.kim, "report")
    assert ids(body) == [report["id"]] and body["results"][0]["highlights"] == [{"start": 7, "end": 13}]


def test_non_member_rooms_never_appear(team: Any) -> None:
    for i in range(60):
        send(team.park, team.secret, f"비밀 회의 {i}")
    mine = send(team.kim, team.room, "공개 회의")
    body = search(team.kim, "회의", limit=1)
    assert ids(body) == [mine["id"]] and body["total"] == 1
    assert search(team.kim, "비밀")["total"] == 0
    assert advanced(team.kim, q="회의", limit=5)["total"] == 1
    assert advanced(team.kim, sender_id=team.park.id)["total"] == 0
    r = team.kim.get("/api/search", query_string={"q": "회의", "room_id": team.secret})
    assert r.status_code == 403 and r.get_json()["code"] == "forbidden"
    r = team.kim.post("/api/search/advanced", json={"q": "회의", "room_id": 99999})
    assert r.status_code == 404 and r.get_json()["code"] == "not_found"
    assert search(team.park, "회의")["total"] == 60


def test_pagination_and_room_filter(team: Any) -> None:
    other = make_room(team.kim, team.lee, name="잡담")
    sent = [send(team.kim, team.room if i % 2 else other, f"배포 {i}") for i in range(12)]
    newest = [m["id"] for m in sent[::-1]]
    assert ids(search(team.lee, "배포", limit=5)) == newest[:5]
    page = search(team.lee, "배포", limit=5, offset=10)
    assert ids(page) == newest[10:] and page["total"] == 12
    past_the_end = search(team.lee, "배포", limit=5, offset=20)
    assert ids(past_the_end) == [] and past_the_end["total"] == 12
    in_room = search(team.lee, "배포", room_id=team.room, limit=100)
    assert in_room["total"] == 6 and all(item["room"]["id"] == team.room for item in in_room["results"])
    for bad in ({"limit": 0}, {"limit": 101}, {"offset": -1}, {"room_id": "x"}):
        r = team.lee.get("/api/search", query_string={"q": "배포", **bad})
        assert r.status_code == 400 and r.get_json()["code"] == "invalid_field"
    r = team.lee.get("/api/search", query_string={"q": "  "})
    assert r.status_code == 400 and r.get_json()["code"] == "missing_field"


def test_edits_and_deletions_update_results(team: Any) -> None:
    msg = send(team.kim, team.room, "예산 검토 부탁드립니다")
    assert ids(search(team.lee, "예산")) == [msg["id"]]
    r = team.kim.patch(f"/api/messages/{msg['id']}", json={"content": "일정 검토 부탁드립니다"})
    assert r.status_code == 200
    assert search(team.lee, "예산")["total"] == 0
    body = search(team.lee, "일정")
    assert ids(body) == [msg["id"]] and body["results"][0]["message"]["edited_at"]
    assert team.kim.delete(f"/api/messages/{msg['id']}").status_code == 200
    assert search(team.lee, "일정")["total"] == 0
    assert search(team.lee, "검토")["total"] == 0
    assert advanced(team.lee, sender_id=team.kim.id)["total"] == 0


def test_file_names_and_file_filters(team: Any) -> None:
    xlsx = send_file(team.kim, team.room, "2026_견적서_최종.xlsx")
    pdf = send_file(team.lee, team.room, "회의록.pdf", content="자료 공유드립니다")
    text = send(team.kim, team.room, "견적 다시 보내주세요")
    body = search(team.lee, "견적서")
    assert ids(body) == [xlsx["id"]]
    assert body["results"][0]["file_highlights"] == [{"start": 5, "end": 8}]
    assert ids(search(team.lee, "견적")) == [text["id"], xlsx["id"]]
    assert ids(advanced(team.lee, q="견적", has_file=True)) == [xlsx["id"]]
    assert ids(advanced(team.lee, q="견적", has_file=False)) == [text["id"]]
    assert ids(advanced(team.lee, has_file=True)) == [pdf["id"], xlsx["id"]]
    assert ids(advanced(team.lee, file_type="xlsx")) == [xlsx["id"]]
    assert ids(advanced(team.lee, file_type=".PDF")) == [pdf["id"]]
    assert ids(advanced(team.lee, file_type="application/pdf")) == [pdf["id"]]
    assert ids(advanced(team.lee, file_type="application")) == [pdf["id"], xlsx["id"]]
    assert advanced(team.lee, file_type="image")["total"] == 0
    r = team.lee.post("/api/search/advanced", json={"file_type": "x%y"})
    assert r.status_code == 400 and r.get_json()["code"] == "invalid_field"


def test_sender_and_date_filters(app: Any, team: Any) -> None:
    from messenger.app import get_services

    old = send(team.kim, team.room, "작년 회의 메모")
    mid = send(team.lee, team.room, "지난달 회의 메모")
    new = send(team.kim, team.room, "오늘 회의 메모")
    with get_services(app).db.begin() as conn:
        conn.execute(update(messages).where(messages.c.id == old["id"]).values(created_at=dt.datetime(2025, 11, 3, 9)))
        conn.execute(update(messages).where(messages.c.id == mid["id"]).values(created_at=dt.datetime(2026, 10, 15, 23)))
    assert ids(advanced(team.lee, q="회의", sender_id=team.kim.id)) == [new["id"], old["id"]]
    assert ids(advanced(team.lee, q="메모", date_from="2026-01-01")) == [new["id"], mid["id"]]
    assert ids(advanced(team.lee, q="메모", date_to="2026-10-15")) == [mid["id"], old["id"]]
    assert ids(advanced(team.lee, q="메모", date_from="2026-10-15T00:00:00Z",
                        date_to="2026-10-15T23:00:00Z")) == [mid["id"]]
    assert ids(advanced(team.lee, sender_id=team.lee.id, date_to="2026-10-31")) == [mid["id"]]
    assert ids(advanced(team.lee, q="메모", room_id=team.room, sender_id=team.kim.id,
                        date_from="2025-01-01", date_to="2025-12-31", has_file=False)) == [old["id"]]
    page = advanced(team.lee, q="메모", limit=1, offset=1)
    assert ids(page) == [mid["id"]] and page["total"] == 3
    r = team.lee.post("/api/search/advanced", json={"date_from": "yesterday"})
    assert r.status_code == 400 and r.get_json()["code"] == "invalid_field"
    r = team.lee.post("/api/search/advanced", json={})
    assert r.status_code == 400 and r.get_json()["code"] == "missing_field"


def test_advanced_search_is_rate_limited_per_user(make_settings: Any) -> None:
    from messenger.app import create_app, get_services

    limited = create_app(make_settings(RATE_LIMIT_SEARCH_ADVANCED="3/minute"))
    kim, lee = TestUser(limited, "kim"), TestUser(limited, "lee")
    for _ in range(3):
        assert kim.post("/api/search/advanced", json={"q": "x"}).status_code == 200
    r = kim.post("/api/search/advanced", json={"q": "x"})
    assert r.status_code == 429 and r.get_json()["code"] == "rate_limited" and r.headers.get("Retry-After")
    assert lee.post("/api/search/advanced", json={"q": "x"}).status_code == 200
    assert kim.get("/api/search", query_string={"q": "x"}).status_code == 200  # the simple search is not limited
    get_services(limited).db.dispose()


def test_layout_repair_suggestion(team: Any) -> None:
    hello = send(team.kim, team.room, "안녕하세요 여러분")
    body = search(team.lee, "dkssud")
    assert body["total"] == 0 and body["suggestion"] == "안녕"
    assert ids(search(team.lee, body["suggestion"])) == [hello["id"]]
    send(team.kim, team.room, "hello world")
    assert search(team.lee, "ㅗ디ㅣㅐ")["suggestion"] == "hello"
    assert "suggestion" not in search(team.lee, "안녕")


def test_people_directory_initials_and_layout(team: Any, app: Any) -> None:
    TestUser(app, "kdh2", "김도훈")

    def names(q: str) -> list[str]:
        r = team.lee.get("/api/users", query_string={"q": q})
        assert r.status_code == 200
        return [u["display_name"] for u in r.get_json()["users"]]

    assert names("ㄱㄷㅎ") == ["김대호", "김도훈"]
    assert names("김ㄷㅎ") == ["김대호", "김도훈"]
    assert names("ㄷㅎ") == ["김대호", "김도훈"]
    assert names("ㅈㅇ") == ["이지영"]
    assert names("rlaeogh") == ["김대호"]
    assert names("대호") == ["김대호"]
    assert names("MINSU") == ["박민수"]
    assert names("ㅋㅋ") == []
    assert len(names("")) == 4


def test_room_search_by_name_and_initials(team: Any) -> None:
    def rooms(user: TestUser, q: str) -> list[str]:
        r = user.get("/api/rooms/search", query_string={"q": q})
        assert r.status_code == 200
        return [room["name"] for room in r.get_json()["rooms"]]

    direct = team.kim.post("/api/rooms", json={"type": "direct", "user_id": team.lee.id})
    assert direct.status_code in (200, 201)
    assert rooms(team.kim, "ㄱㅂ") == ["개발팀"]
    assert rooms(team.kim, "개발") == ["개발팀"]
    assert rooms(team.kim, "roqkf") == ["개발팀"]
    assert rooms(team.kim, "ㅇㅈㅇ") == ["이지영"]
    assert rooms(team.kim, "ㅂㅁ") == []  # 비밀 프로젝트: not a member
    assert rooms(team.park, "ㅂㅁ") == ["비밀 프로젝트"]
    assert search(team.kim, "ㄱㅂ")["rooms"] == [{"id": team.room, "type": "group", "name": "개발팀"}]
    assert advanced(team.kim, q="개발", include_rooms=True)["rooms"] == [
        {"id": team.room, "type": "group", "name": "개발팀"}]
    assert "rooms" not in advanced(team.kim, q="개발")
    assert team.kim.get("/api/rooms/search").status_code == 400
