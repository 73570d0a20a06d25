#!/usr/bin/env python3
"""Search benchmark: a realistic corpus built with the product's own storage layer, then latency.

    python bench/search.py                        # 1,000,000 messages, 200 rooms, 300 users, SQLite
    python bench/search.py --messages 100000      # smaller
    python bench/search.py --db-url postgresql+psycopg://app@127.0.0.1:5432/bench   # PostgreSQL
    python bench/search.py --pg-temp --messages 200000   # on a throwaway local PostgreSQL cluster
    python bench/search.py --keep DIR             # build in DIR and keep it
    python bench/search.py --reuse DIR            # measure again on a kept DIR (same size and seed)

Builds the app (create_app on a temporary data dir, migrations included), inserts users, rooms,
members, files and messages (Korean, English and mixed office chat, 4% file messages) in big
transactions, then indexes them with messenger.search.index (timed: "index build"). Reports database
size, p50/p95/p99 of 2-, 3- and 5-character queries (top 50 with total, random members as viewers,
queries drawn from the corpus and from common office words) and of advanced queries with filters, and
checks recall (and precision) against a brute-force scan of the corpus for a sample of queries.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import secrets
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.search_store import bulk_insert, clear_rooms, database_size, index_size, optimize  # noqa: E402
from messenger.app import create_app, get_services  # noqa: E402
from messenger.search import index, service, store  # noqa: E402
from messenger.search.text import normalize  # noqa: E402
from messenger.settings import load_settings  # noqa: E402

SURNAMES = "김이박최정강조윤장임한오서신권황안송류홍"
GIVEN = "민서지현우준영수진하은도윤예성호연태경아동석미정혜원재희승주"
NOUNS_KO = ["회의", "주간회의", "회의실", "회의록", "보고서", "견적서", "계약서", "일정", "프로젝트", "출장", "휴가",
            "결재", "예산", "서버", "배포", "점검", "고객사", "미팅", "자료", "발표", "교육", "워크숍", "점심", "회식",
            "마감", "요청", "문의", "이슈", "버그", "테스트", "릴리스", "데이터", "백업", "시안", "피드백", "채용",
            "세금계산서", "매출", "분기 실적", "공지", "설문", "신규 기능", "로그인 오류", "디자인", "기획안", "품의서",
            "인수인계", "재고", "납품", "택배", "주차", "보안 교육", "연말정산", "법인카드", "비품", "견적"]
NOUNS_EN = ["report", "invoice", "release", "build", "server", "budget", "proposal", "design", "contract",
            "schedule", "backlog", "roadmap", "dashboard", "hotfix", "API", "deadline", "meeting", "PR", "QA",
            "staging", "deploy", "ticket", "sprint", "demo", "migration", "Jira", "Slack", "Excel", "VPN"]
TIMES_KO = ["오늘", "내일", "모레", "이번 주", "다음 주", "오전 10시", "오후 3시", "금요일", "월요일", "월말", "점심 전에",
            "퇴근 전까지", "이따가", "방금"]
TIMES_EN = ["today", "tomorrow", "Friday", "next week", "EOD", "3pm", "Monday morning"]
PEOPLE = ["팀장님", "부장님", "과장님", "대리님", "민수 씨", "지영 씨", "저", "우리 팀", "개발팀", "영업팀", "디자인팀",
          "인사팀", "재무팀", "대표님"]
PREDS = ["확인 부탁드립니다", "공유드립니다", "검토해 주세요", "올려두었습니다", "진행하겠습니다", "준비해 주세요",
         "완료했습니다", "변경되었습니다", "취소되었습니다", "연기되었습니다", "가능할까요?", "언제까지인가요?",
         "감사합니다", "확인했습니다", "내일까지 드리겠습니다", "수정했어요", "다시 보내드릴게요", "문제 없습니다",
         "논의가 필요합니다", "잘 부탁드립니다"]
SHORT = ["넵", "네 알겠습니다", "ㅋㅋㅋ", "감사합니다!", "좋아요", "확인했습니다", "수고하셨습니다", "ㅎㅎ", "오케이",
         "잠시만요", "ok", "thanks!", "LGTM", "👍", "네네"]
EN_TEMPLATES = ["Please review the {n} before {t}.", "The {n} is ready for {t}.", "Can we move the {n} to {t}?",
                "{N} deployed to staging", "FYI: {n} updated", "Who owns the {n}?", "I'll send the {n} by {t}",
                "{N} is blocked by the {n2}", "Reminder: {n} due {t}"]
KO_TEMPLATES = ["{t} {n}{p} {v}", "{who} {n}{p} {v}", "{n} 관련해서 {n2}{p} {v}", "{t} {n}{p} {n2} 같이 {v}",
                "{who}, {n}{p} {v}", "{n}{p} {e} 쪽에 {v}", "{e} {n}{p} {t}까지 {v}", "혹시 {n} 건 {v}",
                "{n} #{num} {v}", "{t} {n} {num}건 {v}"]
FILE_STEMS = ["견적서", "회의록", "보고서", "계약서", "발표자료", "invoice", "screenshot", "design_v", "주간보고",
              "report", "품의서", "예산안"]
FILE_EXTS = [("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
             ("docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
             ("pdf", "application/pdf"), ("png", "image/png"), ("jpg", "image/jpeg"), ("pptx", "application/"
             "vnd.openxmlformats-officedocument.presentationml.presentation"), ("zip", "application/zip")]
COMMON_2 = ["회의", "보고", "일정", "확인", "서버", "배포", "출장", "자료", "견적", "계약", "예산", "휴가", "마감", "공유"]


def _particle(word: str, rng: random.Random) -> str:
    last = word[-1]
    batchim = 0xAC00 <= ord(last) <= 0xD7A3 and (ord(last) - 0xAC00) % 28 != 0
    return rng.choice(["을", "이", "은", "과", "으로", "도", "에", "의"] if batchim else
                      ["를", "가", "는", "와", "로", "도", "에", "의"])


class Corpus:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        # Zipf-like word frequencies: a few words are common, most are rare.
        self.ko_weights = [1 / (i + 1) for i in range(len(NOUNS_KO))]
        rng.shuffle(self.ko_weights)
        self.en_weights = [1 / (i + 1) for i in range(len(NOUNS_EN))]

    def ko_noun(self) -> str:
        return self.rng.choices(NOUNS_KO, self.ko_weights)[0]

    def en_noun(self) -> str:
        return self.rng.choices(NOUNS_EN, self.en_weights)[0]

    def sentence(self) -> str:
        rng = self.rng
        kind = rng.random()
        if kind < 0.12:
            return rng.choice(SHORT)
        if kind < 0.27:
            n = self.en_noun()
            return rng.choice(EN_TEMPLATES).format(n=n, N=n.capitalize(), n2=self.en_noun(), t=rng.choice(TIMES_EN))
        n = self.ko_noun()
        text = rng.choice(KO_TEMPLATES).format(
            t=rng.choice(TIMES_KO), n=n, p=_particle(n, rng), n2=self.ko_noun(), v=rng.choice(PREDS),
            who=rng.choice(PEOPLE), e=self.en_noun(), num=rng.randint(1, 9999))
        if rng.random() < 0.25:
            text += " " + rng.choice(PREDS)
        return text

    def file_name(self) -> tuple[str, str]:
        ext, mime = self.rng.choice(FILE_EXTS)
        stem = self.rng.choice(FILE_STEMS)
        return f"{self.rng.choice(['2025', '2026', ''])}_{stem}_{self.rng.choice(['최종', 'v2', '수정', '1125'])}.{ext}", mime


def build(svc: Any, n_messages: int, n_rooms: int, n_users: int, seed: int, insert: bool = True) -> dict[str, Any]:
    """Generate the corpus (deterministic for a seed) and, unless ``insert`` is False, store and index it."""
    rng = random.Random(seed)
    corpus = Corpus(rng)
    now = dt.datetime(2026, 11, 25, 9, 0, 0)
    start = now - dt.timedelta(days=365)
    names = set()
    users = []
    while len(users) < n_users:
        name = rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN)
        if name in names:
            continue
        names.add(name)
        uid = len(users) + 1
        users.append({"id": uid, "username": f"user{uid:04d}", "display_name": name, "password_hash": None,
                      "is_admin": False, "is_active": True, "must_change_password": False, "status_message": "",
                      "created_at": start})
    rooms, members, room_members_of = [], [], {}
    for rid in range(1, n_rooms + 1):
        size = 2 if rid % 7 == 0 else min(n_users, int(rng.paretovariate(1.2) * 4) + 2)
        if rid == 1:
            size = n_users  # the all-hands room
        ids = rng.sample(range(1, n_users + 1), size)
        is_direct = size == 2
        rooms.append({"id": rid, "type": "direct" if is_direct else "group",
                      "name": "" if is_direct else f"{rng.choice(NOUNS_KO)} {rng.choice(['팀', 'TF', '방', '공지'])} {rid}",
                      "topic": "", "direct_key": f"{min(ids)}:{max(ids)}:{rid}" if is_direct else None,
                      "created_by": ids[0], "created_at": start, "last_activity_at": now})
        room_members_of[rid] = ids
        members += [{"room_id": rid, "user_id": u, "role": "member", "joined_at": start, "last_read_message_id": 0,
                     "muted": False, "pinned": False} for u in ids]
    # Busy rooms get more messages (Zipf over rooms, the all-hands room is quiet).
    weights = [0.3 if rid == 1 else 1 / (i + 1) ** 0.8 for i, rid in enumerate(range(1, n_rooms + 1))]
    t0 = time.perf_counter()
    if insert:
        with svc.db.begin() as conn:
            clear_rooms(conn)
            bulk_insert(conn, "users", users)
            bulk_insert(conn, "rooms", rooms)
            bulk_insert(conn, "room_members", members)
    docs: list[tuple[int, int, str]] = []
    batch, files, step, files_done = [], [], (now - start) / max(n_messages, 1), 0
    room_choices = rng.choices(range(1, n_rooms + 1), weights, k=n_messages)
    for mid in range(1, n_messages + 1):
        rid = room_choices[mid - 1]
        created = start + step * mid
        sender = rng.choice(room_members_of[rid])
        row = {"id": mid, "room_id": rid, "sender_id": sender, "type": "text", "content": "", "reply_to_id": None,
               "file_id": None, "poll_id": None, "client_msg_id": None, "created_at": created, "edited_at": None,
               "deleted_at": None}
        if rng.random() < 0.04:
            fname, mime = corpus.file_name()
            fid = len(files) + 1
            files.append({"id": fid, "room_id": rid, "uploader_id": sender, "purpose": "message",
                          "original_name": fname, "stored_path": f"bench/{fid}", "size": rng.randint(1000, 10**7),
                          "mime": mime, "sha256": "0" * 64, "scan_status": "clean", "created_at": created})
            row.update(type="file", file_id=fid, content=rng.choice(["", "", "자료 공유드립니다", "확인 부탁드립니다"]))
            text = (row["content"] + " " + fname).strip()
        else:
            row["content"] = text = corpus.sentence()
        batch.append(row)
        docs.append((mid, rid, text))
        if insert and (len(batch) >= 20000 or mid == n_messages):
            with svc.db.begin() as conn:
                bulk_insert(conn, "files", files[files_done:])
                bulk_insert(conn, "messages", batch)
            files_done, batch = len(files), []
    load_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    for i in range(0, len(docs) if insert else 0, 20000):
        with svc.db.begin() as conn:
            index.index_many(conn, docs[i:i + 20000])
    index_s = time.perf_counter() - t0
    t1 = time.perf_counter()
    if insert:
        with svc.db.begin() as conn:
            optimize(conn)
    optimize_s = time.perf_counter() - t1
    user_rooms: dict[int, set[int]] = {}
    for rid, ids in room_members_of.items():
        for u in ids:
            user_rooms.setdefault(u, set()).add(rid)
    return {"load_s": load_s, "index_s": index_s, "optimize_s": optimize_s, "docs": docs,
            "user_rooms": user_rooms, "rooms": room_members_of, "files": len(files)}


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    k = min(len(values) - 1, max(0, round(p / 100 * (len(values) - 1))))
    return values[k]


def timed(svc: Any, viewer: int, q: str, filters: dict[str, Any], limit: int = 50) -> tuple[float, int, list[int]]:
    t0 = time.perf_counter()
    with svc.db.read() as conn:
        ids, total = service.find_ids(conn, viewer, normalize(q), filters, limit, 0)
    return (time.perf_counter() - t0) * 1000, total, ids


def sample_query(rng: random.Random, docs: list[tuple[int, int, str]], length: int) -> str:
    while True:
        text = normalize(rng.choice(docs)[2])
        if len(text) >= length:
            start = rng.randrange(0, len(text) - length + 1)
            q = text[start:start + length]
            if q.strip() == q and q.strip():
                return q


def run(args: argparse.Namespace) -> dict[str, Any]:
    data_dir = Path(args.reuse or args.keep or tempfile.mkdtemp(prefix="search-bench-"))
    settings = load_settings(data_dir, env={}, overrides={"SECRET_KEY": secrets.token_urlsafe(32),
                                                          "DATABASE_URL": args.db_url})
    app = create_app(settings, async_mode="threading")
    svc = get_services(app)
    print(f"data dir {data_dir}; {'reusing' if args.reuse else 'building'} {args.messages:,} messages ...", flush=True)
    info = build(svc, args.messages, args.rooms, args.users, args.seed, insert=not args.reuse)
    with svc.db.read() as conn:
        db_bytes = database_size(conn)
        idx_bytes = index_size(conn)
    report: dict[str, Any] = {
        "backend": "sqlite" if svc.db.is_sqlite else "postgresql",
        "messages": args.messages, "rooms": args.rooms, "users": args.users, "file_messages": info["files"],
        "load_s": None if args.reuse else round(info["load_s"], 1),
        "index_build_s": None if args.reuse else round(info["index_s"], 1),
        "index_optimize_s": None if args.reuse else round(info["optimize_s"], 1),
        "db_mb": round(db_bytes / 2**20, 1), "index_mb": round(idx_bytes / 2**20, 1) if idx_bytes else None,
    }
    print(json.dumps(report, ensure_ascii=False), flush=True)
    rng = random.Random(args.seed + 1)
    docs, user_rooms = info["docs"], info["user_rooms"]
    viewers = list(user_rooms)
    latencies: dict[str, list[float]] = {}
    totals: dict[str, list[int]] = {}

    def measure(label: str, q: str, filters: dict[str, Any], viewer: int | None = None) -> None:
        ms, total, _ = timed(svc, viewer or rng.choice(viewers), q, filters)
        latencies.setdefault(label, []).append(ms)
        totals.setdefault(label, []).append(total)

    short_path = store._pg_short
    turn = [0]

    def measure_both(label: str, q: str, viewer: int) -> None:
        """PostgreSQL: the query through the one/two-character path and through the exact statement it
        replaced (the same query and viewer, order alternating), so both come from the same minutes."""
        if report["backend"] != "postgresql":
            measure(label, q, service.build_filters(), viewer)
            return
        turn[0] += 1
        for exact in ((False, True) if turn[0] % 2 else (True, False)):
            store._pg_short = (lambda *_a, **_k: None) if exact else short_path  # type: ignore[assignment]
            try:
                measure(label + (" (exact, before)" if exact else ""), q, service.build_filters(), viewer)
            finally:
                store._pg_short = short_path  # type: ignore[assignment]

    for _ in range(5):  # warm the cache
        measure("warmup", rng.choice(COMMON_2), service.build_filters())
    full: list[float] = []
    for _ in range(args.queries):
        measure("2-syllable Korean word", rng.choice(COMMON_2), service.build_filters())
        t0 = time.perf_counter()
        service.search(svc, rng.choice(viewers), rng.choice(COMMON_2), service.build_filters(), limit=50)
        full.append((time.perf_counter() - t0) * 1000)
        for n in (2, 3, 5):
            q = sample_query(rng, docs, n)
            viewer = rng.choice(viewers)
            if n == 2:
                measure_both("2-char substring", q, viewer)
            else:
                measure(f"{n}-char substring", q, service.build_filters(), viewer)
        q = sample_query(rng, docs, 1)
        measure_both("1-char", q, rng.choice(viewers))
        viewer = rng.choice(viewers)
        room = rng.choice(sorted(user_rooms[viewer]))
        sender = rng.choice(info["rooms"][room])
        last = dt.datetime(2026, 11, 25)
        measure("advanced: q + sender + 180 days", rng.choice(COMMON_2),
                service.build_filters(sender_id=sender, date_from=last - dt.timedelta(days=180), date_to=last,
                                      date_to_is_day=True), viewer)
        measure("advanced: q + room + has_file", rng.choice(["견적", "회의", "보고", "report"]),
                service.build_filters(room_id=room, has_file=True), viewer)
        measure("advanced: no q, file_type=xlsx, 90 days", "",
                service.build_filters(file_type="xlsx", date_from=last - dt.timedelta(days=90)), viewer)
    latencies.pop("warmup", None)
    latencies["full response, 2-syllable word (50 message objects)"] = full
    totals["full response, 2-syllable word (50 message objects)"] = totals["2-syllable Korean word"]
    report["latency_ms"] = {
        label: {"p50": round(pct(v, 50), 1), "p95": round(pct(v, 95), 1), "p99": round(pct(v, 99), 1),
                "n": len(v), "median_total": int(statistics.median(totals[label]))}
        for label, v in latencies.items()}
    for label, stats in report["latency_ms"].items():
        print(f"{label:42s} {json.dumps(stats)}", flush=True)
    report["recall"] = recall(svc, rng, docs, user_rooms, args.recall_queries)
    print(json.dumps({"recall": report["recall"]}, ensure_ascii=False), flush=True)
    svc.db.dispose()
    if not (args.keep or args.reuse):
        shutil.rmtree(data_dir, ignore_errors=True)
    return report


def recall(svc: Any, rng: random.Random, docs: list[tuple[int, int, str]], user_rooms: dict[int, set[int]],
           n: int) -> dict[str, Any]:
    """Compare the full result set with a brute-force scan of the normalised corpus."""
    norms = [(mid, rid, normalize(t)) for mid, rid, t in docs]
    checked = missing = extra = 0
    for i in range(n):
        viewer = rng.choice(list(user_rooms))
        q = rng.choice(COMMON_2) if i % 4 == 0 else sample_query(rng, docs, rng.choice([1, 2, 3, 4, 5, 8]))
        nq = normalize(q)
        truth = {mid for mid, rid, t in norms if rid in user_rooms[viewer] and nq in t}
        with svc.db.read() as conn:
            ids, total = service.find_ids(conn, viewer, nq, service.build_filters(), max(len(truth), 1) + 10, 0)
        got = set(ids)
        checked += len(truth)
        missing += len(truth - got)
        extra += len(got - truth)
        # PostgreSQL reports more than TOTAL_CAP matches of a one- or two-character query as TOTAL_CAP + 1.
        assert total == len(got) or (total == store.TOTAL_CAP + 1 < len(got)), (q, total, len(got))
    return {"queries": n, "expected_hits": checked, "missing": missing, "unexpected": extra,
            "recall": 1.0 if not checked else round((checked - missing) / checked, 6)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--rooms", type=int, default=200)
    parser.add_argument("--users", type=int, default=300)
    parser.add_argument("--queries", type=int, default=200, help="queries per kind")
    parser.add_argument("--recall-queries", type=int, default=40)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--db-url", default="", help="PostgreSQL URL (default: SQLite in the data dir)")
    parser.add_argument("--keep", default=None, help="data dir to use and keep (default: a temp dir)")
    parser.add_argument("--reuse", default=None, help="data dir of an earlier --keep run with the same "
                        "--messages/--rooms/--users/--seed: only measure")
    parser.add_argument("--json", default=None, help="also write the report to this file")
    parser.add_argument("--pg-temp", action="store_true",
                        help="run on a throwaway local PostgreSQL cluster (needs initdb, as in the tests)")
    args = parser.parse_args()
    if args.pg_temp:
        from tests.services import postgres_cluster

        with postgres_cluster() as cluster:
            args.db_url = cluster.url(cluster.create_database())
            report = run(args)
    else:
        report = run(args)
    if args.json:
        Path(args.json).write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
