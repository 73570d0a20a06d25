"""Schemathesis against docs/openapi.yaml on a real server: every operation, as an anonymous user and
as a logged-in user (with CSRF token), never answers 5xx, and every error has the standard shape."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings

from tests.helpers import LiveUser

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = schemathesis.openapi.from_path(ROOT / "docs" / "openapi.yaml")
# Operations that would end the fuzzing user's own session; fuzzed anonymously only.
SESSION_ENDING = {"/api/logout", "/api/me/password"}
RAISED = {f"RATE_LIMIT_{k}": "100000/minute" for k in ("LOGIN", "REGISTER", "UPLOAD", "SEARCH_ADVANCED")}


@pytest.fixture(scope="module")
def fuzz_target(tmp_path_factory: Any) -> Any:
    """A real server with some data in it, shared by the module (the fuzzer only adds noise)."""
    import secrets

    from messenger.server import ServerRunner
    from messenger.settings import load_settings

    data = tmp_path_factory.mktemp("fuzz") / "data"
    cfg = load_settings(data, env={}, overrides={"SECRET_KEY": secrets.token_urlsafe(32), **RAISED})
    runner = ServerRunner(cfg, host="127.0.0.1", port=0)
    runner.start()
    base = runner.local_url
    owner = LiveUser(base, "owner", "관리자")
    member = LiveUser(base, "member", "멤버")
    fuzzer = LiveUser(base, "fuzzer", "퍼저")
    room = owner.post("/api/rooms", json={"type": "group", "name": "퍼즈", "member_ids": [member.id, fuzzer.id]})
    if room.status_code == 201:
        room_id = room.json()["room"]["id"]
        owner.post(f"/api/rooms/{room_id}/messages", json={"content": "안녕하세요 fuzz", "client_msg_id": "seed-1"})
    yield {"base": base, "fuzzer": fuzzer}
    runner.stop()


def _check(response: requests.Response, case: Any) -> None:
    assert response.status_code < 500, (case.method, case.path, case.path_parameters, case.body,
                                        response.status_code, response.text[:300])
    if response.status_code >= 400 and response.headers.get("Content-Type", "").startswith("application/json"):
        body = response.json()
        assert set(body) == {"error", "code"}, (case.method, case.path, body)


FUZZ = settings(max_examples=12, deadline=None, derandomize=True,
                suppress_health_check=list(HealthCheck))


@SCHEMA.parametrize()
@FUZZ
def test_anonymous_never_5xx(case: Any, fuzz_target: Any) -> None:
    with requests.Session() as session:
        response = case.call(base_url=fuzz_target["base"], session=session, timeout=30)
    _check(response, case)


@SCHEMA.parametrize()
@FUZZ
def test_logged_in_never_5xx(case: Any, fuzz_target: Any) -> None:
    if case.path in SESSION_ENDING:
        return
    fuzzer = fuzz_target["fuzzer"]
    response = case.call(base_url=fuzz_target["base"], session=fuzzer.http, timeout=30)
    _check(response, case)
    if response.status_code == 401:
        fuzzer.login()  # a fuzzed request may have logged out a session; keep fuzzing as a user
