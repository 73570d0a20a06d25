"""Garbage to every route: never a 500, always the standard error shape."""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers import TestUser

GARBAGE_BODIES = [
    b"",
    b"not json",
    b"[1,2,3]",
    b"null",
    b'"string"',
    b"{",
    b'{"username": 5, "password": []}',
    b'{"unexpected": true}',
    b"\xff\xfe\x00garbage",
    b'{"content": {"nested": [1]}, "room_id": "abc", "message_id": -1, "user_ids": "x"}',
]


def _routes(app: Any) -> list[tuple[str, str]]:
    out = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        path = rule.rule
        for arg in rule.arguments:
            path = path.replace(f"<int:{arg}>", "1").replace(f"<{arg}>", "1").replace(f"<path:{arg}>", "x")
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            out.append((method, path))
    return out


@pytest.mark.parametrize("as_user", [False, True])
def test_garbage_never_500(app: Any, as_user: bool) -> None:
    admin = TestUser(app, "boss")
    TestUser(app, "other")
    client = admin.client if as_user else app.test_client()
    headers = {"X-CSRF-Token": admin.csrf} if as_user else {}
    routes = _routes(app)
    assert len(routes) > 5
    for method, path in routes:
        if path in ("/api/logout",):
            continue
        for body in GARBAGE_BODIES:
            for ctype in ("application/json", "text/plain"):
                r = client.open(path, method=method, data=body, headers={**headers, "Content-Type": ctype})
                assert r.status_code < 500, (method, path, body, r.status_code, r.get_data(as_text=True)[:300])
                if r.status_code >= 400 and r.is_json:
                    payload = r.get_json()
                    assert {"error", "code"} <= set(payload) <= {"error", "code", "params"}, (method, path, payload)
        r = client.open(path + "?limit=abc&before_id=x&after_id=-5&q=%00&room_id=zz", method=method, headers=headers)
        assert r.status_code < 500, (method, path, r.status_code)
