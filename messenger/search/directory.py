"""The people directory: substring, 초성 (``ㄱㄷㅎ`` → 김대호) and keyboard-layout repair (``rlaeogh``
→ 김대호) over display names and usernames. An intranet has hundreds to a few thousand accounts, so
the active users are matched in Python after one indexed read."""

from __future__ import annotations

from typing import Any

from messenger.core.context import Services
from messenger.search import hangul, store

LIMIT = 50


def _rank(query: str, row: Any) -> int | None:
    name, username = row.display_name or "", row.username or ""
    q = query.casefold().replace(" ", "")
    if not q:
        return 3
    if name.casefold().replace(" ", "").startswith(q) or username.casefold().startswith(q):
        return 0
    if hangul.initials_match(query, name):
        return 1
    if hangul.initials_match(query, username):
        return 2
    return None


def search_users(svc: Services, q: str, limit: int = LIMIT) -> list[Any]:
    """Active users matching ``q`` (best first: prefix, then substring/초성, then layout repair)."""
    query = (q or "").strip()[:100]
    with svc.db.read() as conn:
        rows = store.active_users(conn)
    if not query:
        return rows[:limit]
    alternatives = hangul.layout_alternatives(query)
    scored: list[tuple[int, str, int, Any]] = []
    for row in rows:
        rank = _rank(query, row)
        if rank is None:
            ranks = [r for r in (_rank(alt, row) for alt in alternatives) if r is not None]
            rank = 4 + min(ranks) if ranks else None
        if rank is not None:
            scored.append((rank, row.display_name or "", row.id, row))
    scored.sort(key=lambda item: item[:3])
    return [item[3] for item in scored[:limit]]
