#!/usr/bin/env python3
"""Directory import benchmark: POST /api/admin/directory/import of N rows (default 1,000) through the
real route (Flask test client, SQLite in a temporary data dir), three ways in one invocation:

- every row a new account (temporary passwords generated and hashed),
- the same file again (every row unchanged: validation and the read of existing accounts only),
- every row changed (department and title updated),

next to the baseline of this machine at this moment: hashing one password at the login cost
(Argon2id 19 MiB) N times would take what the first line would cost with full-cost hashes.

    python bench/directory_import.py
    python bench/directory_import.py --rows 5000
"""

from __future__ import annotations

import argparse
import io
import secrets
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from messenger.accounts.passwords import _hasher  # noqa: E402
from messenger.app import create_app, get_services  # noqa: E402
from messenger.settings import load_settings  # noqa: E402

DEPARTMENTS = ["개발팀", "영업팀", "인사팀", "재무팀", "디자인팀", "고객지원팀", "경영지원실"]
SURNAMES = "김이박최정강조윤장임한오서신권황안송류홍"
GIVEN = ["민준", "서연", "도윤", "하은", "지호", "수아", "예준", "지유", "현우", "채원"]


def directory_csv(rows: int, title: str = "사원") -> bytes:
    lines = ["username,display_name,department,title,extension,email"]
    for i in range(rows):
        name = SURNAMES[i % len(SURNAMES)] + GIVEN[(i // len(SURNAMES)) % len(GIVEN)]
        lines.append(f"user{i:05d},{name},{DEPARTMENTS[i % len(DEPARTMENTS)]},{title},{1000 + i},"
                     f"user{i:05d}@example.com")
    return ("\ufeff" + "\r\n".join(lines) + "\r\n").encode("utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(Path(tmp) / "data", env={}, overrides={
            "SECRET_KEY": secrets.token_urlsafe(32), "MDNS_ENABLED": False})
        app = create_app(settings, async_mode="threading")
        client = app.test_client()
        client.post("/api/register", json={"username": "boss", "password": "correct-horse-1", "display_name": "대표"})
        login = client.post("/api/login", json={"username": "boss", "password": "correct-horse-1"}).get_json()
        headers = {"X-CSRF-Token": login["csrf_token"]}

        def run(label: str, data: bytes, expect: str) -> None:
            start = time.perf_counter()
            r = client.post("/api/admin/directory/import", headers=headers, content_type="multipart/form-data",
                            data={"file": (io.BytesIO(data), "directory.csv")})
            took = time.perf_counter() - start
            body = r.get_json()
            assert r.status_code == 200, body
            count = len(body[expect]) if isinstance(body[expect], list) else body[expect]
            assert count == args.rows, (expect, count)
            print(f"{label:<34} {took:7.2f} s  ({args.rows} rows, {took / args.rows * 1000:.2f} ms/row)")

        print(f"directory import, {args.rows} rows, SQLite")
        run("new accounts", directory_csv(args.rows), "created")
        run("same file again (unchanged)", directory_csv(args.rows), "unchanged")
        run("every row updated", directory_csv(args.rows, title="대리"), "updated")
        sample = 20
        start = time.perf_counter()
        for _ in range(sample):
            _hasher.hash(secrets.token_urlsafe(9))
        per = (time.perf_counter() - start) / sample
        print(f"{'baseline: login-cost hash x rows':<34} {per * args.rows:7.2f} s  "
              f"({per * 1000:.1f} ms per hash, measured on {sample})")
        get_services(app).db.dispose()


if __name__ == "__main__":
    main()
