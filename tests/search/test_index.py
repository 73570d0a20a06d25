"""The index itself (messenger.search.index + service.find_ids), on both backends, without HTTP."""

from __future__ import annotations

import unicodedata
from typing import Any

import pytest

from bench.search_store import bulk_insert
from messenger.search import index, service, store
from messenger.search.text import highlight_ranges, normalize
from messenger.storage.db import utcnow

ALICE, BOB = 1, 2
SHARED, PRIVATE = 101, 102  # clear of the built-in announcement room


@pytest.fixture
def corpus(svc: Any) -> Any:
    now = utcnow()
    users = [{"id": uid, "username": name, "display_name": name, "is_admin": False, "is_active": True,
              "must_change_password": False, "status_message": "", "created_at": now}
             for uid, name in ((ALICE, "alice"), (BOB, "bob"))]
    rooms = [{"id": rid, "type": "group", "name": name, "topic": "", "created_at": now, "last_activity_at": now}
             for rid, name in ((SHARED, "같이"), (PRIVATE, "밥만"))]
    members = [{"room_id": SHARED, "user_id": ALICE, "role": "admin", "joined_at": now},
               {"room_id": SHARED, "user_id": BOB, "role": "member", "joined_at": now},
               {"room_id": PRIVATE, "user_id": BOB, "role": "admin", "joined_at": now}]
    with svc.db.begin() as conn:
        bulk_insert(conn, "users", users)
        bulk_insert(conn, "rooms", rooms)
        bulk_insert(conn, "room_members", members)

    state = {"next": 1}

    def add(room_id: int, text: str, sender: int = BOB) -> int:
        mid = state["next"]
        state["next"] += 1
        with svc.db.begin() as conn:
            bulk_insert(conn, "messages", [{"id": mid, "room_id": room_id, "sender_id": sender,
                                                  "type": "text", "content": text, "created_at": utcnow()}])
            index.index_message(conn, mid, room_id, text)
        return mid

    return add


def find(svc: Any, viewer: int, q: str, limit: int = 50, offset: int = 0, **filters: Any) -> tuple[list[int], int]:
    with svc.db.read() as conn:
        return service.find_ids(conn, viewer, normalize(q), service.build_filters(**filters), limit, offset)


def test_korean_substrings_inside_words(svc: Any, corpus: Any) -> None:
    weekly = corpus(SHARED, "내일 주간회의를 합니다")
    room = corpus(SHARED, "3층 회의실 예약했어요")
    minutes = corpus(SHARED, "회의록 올렸습니다")
    corpus(SHARED, "오늘 회식 장소는?")
    corpus(SHARED, "회 의")
    assert find(svc, ALICE, "회의") == ([minutes, room, weekly], 3)
    assert find(svc, ALICE, "회의실 예약") == ([room], 1)
    assert find(svc, ALICE, "의록 올") == ([minutes], 1)
    assert find(svc, ALICE, "회의를 합니다만") == ([], 0)


def test_case_width_and_unicode_forms(svc: Any, corpus: Any) -> None:
    upper = corpus(SHARED, "Weekly REPORT attached")
    wide = corpus(SHARED, "ＲＥＰＯＲＴ２０２６")
    nfd = corpus(SHARED, unicodedata.normalize("NFD", "2026_견적서_최종.xlsx"))
    assert find(svc, ALICE, "report")[0] == [wide, upper]
    assert find(svc, ALICE, "Report2026")[0] == [wide]
    assert find(svc, ALICE, "견적서")[0] == [nfd]
    assert find(svc, ALICE, "최종.XLSX")[0] == [nfd]


def test_one_character_queries_and_spaces(svc: Any, corpus: Any) -> None:
    end = corpus(SHARED, "동의")
    middle = corpus(SHARED, "의견 주세요")
    spaced = corpus(SHARED, "a   b")
    corpus(SHARED, "없음")
    assert find(svc, ALICE, "의") == ([middle, end], 2)
    assert find(svc, ALICE, "A B") == ([spaced], 1)
    assert find(svc, ALICE, "b") == ([spaced], 1)


def test_other_rooms_never_appear_even_with_many_matches(svc: Any, corpus: Any) -> None:
    for i in range(120):
        corpus(PRIVATE, f"비밀 회의 {i}")
    mine = corpus(SHARED, "공개 회의")
    for i in range(30):
        corpus(PRIVATE, f"비밀 회의 뒤 {i}")
    assert find(svc, ALICE, "회의", limit=1) == ([mine], 1)
    assert find(svc, ALICE, "회", limit=10) == ([mine], 1)
    assert find(svc, 999, "회의") == ([], 0)  # in no room at all
    ids, total = find(svc, BOB, "회의", limit=10, offset=5)
    assert total == 151 and len(ids) == 10


def test_pagination_newest_first(svc: Any, corpus: Any) -> None:
    ids = [corpus(SHARED, f"배포 공지 {i}") for i in range(25)]
    newest_first = ids[::-1]
    assert find(svc, ALICE, "배포", limit=10) == (newest_first[:10], 25)
    assert find(svc, ALICE, "배포", limit=10, offset=10) == (newest_first[10:20], 25)
    assert find(svc, ALICE, "배포", limit=10, offset=20) == (newest_first[20:], 25)
    assert find(svc, ALICE, "배포", limit=10, offset=30) == ([], 25)


def test_reindex_and_remove(svc: Any, corpus: Any) -> None:
    mid = corpus(SHARED, "예산 검토 부탁드립니다")
    other = corpus(SHARED, "예산안 확정")
    with svc.db.begin() as conn:
        index.index_message(conn, mid, SHARED, "일정 검토 부탁드립니다")
    assert find(svc, ALICE, "예산")[0] == [other]
    assert find(svc, ALICE, "일정")[0] == [mid]
    with svc.db.begin() as conn:
        index.remove_messages(conn, [mid, other, 9999])
        index.remove_messages(conn, [])
    assert find(svc, ALICE, "일정") == ([], 0)
    assert find(svc, ALICE, "예") == ([], 0)
    with svc.db.begin() as conn:  # re-adding after removal works (no stale FTS rows)
        index.index_message(conn, other, SHARED, "예산안 확정")
    assert find(svc, ALICE, "산안")[0] == [other]


def test_highlight_ranges_point_into_the_original_text() -> None:
    text = "내일 주간회의를 하고 회의록은 REPORT로"
    assert highlight_ranges(text, normalize("회의")) == [{"start": 5, "end": 7}, {"start": 12, "end": 14}]
    assert highlight_ranges(text, normalize("report")) == [{"start": 17, "end": 23}]
    nfd = unicodedata.normalize("NFD", "견적서.xlsx")
    [r] = highlight_ranges(nfd, normalize("적서"))
    assert unicodedata.normalize("NFC", nfd[r["start"]:r["end"]]) == "적서"
    assert highlight_ranges("a    b", normalize("a b")) == [{"start": 0, "end": 6}]


def test_total_is_exact_up_to_the_cap_and_capped_beyond_on_postgres(svc: Any, corpus: Any) -> None:
    """PostgreSQL reports at most TOTAL_CAP matches ("1,000+"); below the cap the total is exact, and
    matches in a room the caller is not in never count. SQLite always counts exactly."""
    cap = store.TOTAL_CAP
    first = corpus(SHARED, "분기 예산 0")

    def add_many(mids: range) -> None:
        with svc.db.begin() as conn:  # one transaction: a thousand corpus() calls would be slow
            for mid in mids:
                room = PRIVATE if mid % 10 == 0 else SHARED
                bulk_insert(conn, "messages", [{"id": mid, "room_id": room, "sender_id": BOB, "type": "text",
                                                      "content": f"분기 예산 {mid}", "created_at": utcnow()}])
                index.index_message(conn, mid, room, f"분기 예산 {mid}")

    add_many(range(first + 1, first + cap))
    shared = [m for m in range(first, first + cap) if m % 10 != 0]
    body = service.search(svc, ALICE, "예산", {}, limit=5)
    assert (body["total"], body["total_capped"]) == (len(shared), False)  # 900: exact, PRIVATE not counted
    assert [r["message"]["id"] for r in body["results"]] == shared[::-1][:5]
    body = service.search(svc, ALICE, "분", {}, limit=5, offset=3)  # one character: its own path on PostgreSQL
    assert (body["total"], body["total_capped"]) == (len(shared), False)
    assert [r["message"]["id"] for r in body["results"]] == shared[::-1][3:8]
    body = service.search(svc, BOB, "예산", {}, limit=5)
    assert (body["total"], body["total_capped"]) == (cap, False)  # exactly the cap is still exact
    assert service.search(svc, BOB, "분", {}, limit=5)["total"] == cap
    beyond = first + cap + 1  # a shared one: Bob now sees cap + 1
    add_many(range(beyond, beyond + 1))
    body = service.search(svc, BOB, "예산", {}, limit=5, offset=1)
    with svc.db.read() as conn:
        sqlite = store.is_sqlite(conn)
    if sqlite:
        assert (body["total"], body["total_capped"]) == (cap + 1, False)
    else:
        assert (body["total"], body["total_capped"]) == (cap, True)
    newest = [beyond, *range(first + cap - 1, first - 1, -1)]
    assert [r["message"]["id"] for r in body["results"]] == newest[1:6]  # paging still newest first
    one = service.search(svc, BOB, "분", {}, limit=5, offset=1)
    assert (one["total"], one["total_capped"]) == (body["total"], body["total_capped"])
    assert [r["message"]["id"] for r in one["results"]] == newest[1:6]
    deep = service.search(svc, BOB, "분", {}, limit=5, offset=cap - 3)  # past the newest windows' matches
    assert [r["message"]["id"] for r in deep["results"]] == newest[cap - 3:cap + 1]
