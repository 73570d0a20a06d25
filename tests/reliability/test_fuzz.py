"""Schemathesis against docs/openapi.yaml (generated from the request and response models by build/openapi.py) on a real server: every operation, as an anonymous user and
as a logged-in user (with CSRF token), never answers 5xx, every error has the standard shape, and every
answer matches the response schema the document declares for its status (the main objects: user, room,
message, notice, file).

Then the hostile input classes of #18 over every route of the app and every Socket.IO event, one field
at a time: lone surrogates, nesting far beyond any request (and beyond Python's JSON decoder), 2**64
and negative integers (ids in the path, the query, the body and in lists). None may give a 5xx or an
``internal_error`` ack."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import requests
import schemathesis
import websocket
from hypothesis import HealthCheck, settings
from schemathesis.checks import response_schema_conformance

from tests.helpers import LiveUser

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = schemathesis.openapi.from_path(ROOT / "docs" / "openapi.yaml")
# Operations that would end the fuzzing user's own session; fuzzed anonymously only.
SESSION_ENDING = {"/api/logout", "/api/me/password"}
RAISED = {f"RATE_LIMIT_{k}": "100000/minute" for k in ("LOGIN", "REGISTER", "UPLOAD", "SEARCH_ADVANCED")}
RAISED["SOCKET_SEND_MESSAGE_PER_MINUTE"] = "100000"


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
    assert room.status_code == 201, room.text
    room_id = room.json()["room"]["id"]
    seed = owner.post(f"/api/rooms/{room_id}/messages", json={"content": "안녕하세요 fuzz", "client_msg_id": "seed-1"})
    yield {"base": base, "fuzzer": fuzzer, "owner": owner, "app": runner.app, "room_id": room_id,
           "message_id": seed.json()["message"]["id"], "svc": runner.services()}
    runner.stop()


def _check(response: requests.Response, case: Any) -> None:
    assert response.status_code < 500, (case.method, case.path, case.path_parameters, case.body,
                                        response.status_code, response.text[:300])
    if response.status_code >= 400 and response.headers.get("Content-Type", "").startswith("application/json"):
        body = response.json()
        assert {"error", "code"} <= set(body) <= {"error", "code", "params"}, (case.method, case.path, body)
    case.validate_response(response, checks=[response_schema_conformance])


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


# ---- #18: hostile input classes over every route and socket event -----------------------------------
SURROGATE = "a\ud800b"
BIG = 2**64
DEEP_TEXT = "[" * 100_000 + "]" * 100_000  # far beyond Python's JSON decoder (RecursionError before)
CLASSES: dict[str, Any] = {
    "surrogate": SURROGATE,
    "surrogate-list": [SURROGATE],
    "surrogate-key": {SURROGATE: 1},
    "2**64": BIG,
    "-2**64": -BIG,
    "negative": -1,
    "2**64-list": [1, BIG],
    "negative-list": [-1],
    "nested": json.loads("[" * 40 + "]" * 40),
}
QUERIES = {
    "2**64": str(BIG),
    "-2**64": str(-BIG),
    "negative": "-1",
    "surrogate-bytes": "%ED%A0%80",  # UTF-8 of U+D800: not valid UTF-8
}
PAGES = {"/", "/setup", "/setup/ca.crt", "/setup/certificate", "/setup/qr.png", "/setup/static/{filename}"}


def _operations(app: Any) -> list[tuple[str, str, list[str]]]:
    """(method, OpenAPI-style path, path parameter names) for every route of the app."""
    out = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        path = re.sub(r"<(?:[\w]+:)?(\w+)>", r"{\1}", rule.rule)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            out.append((method, path, sorted(rule.arguments)))
    return out


def _base_value(schema: dict[str, Any]) -> Any:
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "integer":
        return 1
    if kind == "boolean":
        return True
    if kind == "array":
        return [_base_value(schema.get("items", {}))]
    if kind == "object":
        return {}
    return "x"


def _body_schema(spec: dict[str, Any], method: str, path: str) -> tuple[str | None, dict[str, Any]]:
    op = spec["paths"].get(path, {}).get(method.lower(), {})
    content = op.get("requestBody", {}).get("content", {})
    for ctype in ("application/json", "multipart/form-data"):
        if ctype in content:
            schema = content[ctype].get("schema", {})
            if "$ref" in schema:
                schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
            return ctype, schema.get("properties", {})
    return None, {}


def _query_names(spec: dict[str, Any], method: str, path: str) -> list[str]:
    op = spec["paths"].get(path, {}).get(method.lower(), {})
    names = [p["name"] for p in op.get("parameters", []) if p.get("in") == "query"]
    return names or ["limit", "before_id", "after_id", "offset", "room_id", "q"]


def _fill(path: str, args: list[str], value: str) -> str:
    for arg in args:
        path = path.replace("{" + arg + "}", value)
    return path


def _ok_error(r: requests.Response, what: Any) -> None:
    assert r.status_code < 500, (what, r.status_code, r.text[:300])
    if r.status_code >= 400 and r.headers.get("Content-Type", "").startswith("application/json"):
        body = r.json()
        assert {"error", "code"} <= set(body) and body["code"] != "internal_error", (what, body)


@pytest.mark.parametrize("who", ["anonymous", "admin"])
def test_hostile_input_classes_on_every_route_never_5xx(fuzz_target: Any, who: str) -> None:
    import yaml

    spec = yaml.safe_load((ROOT / "docs" / "openapi.yaml").read_text(encoding="utf-8"))
    base = fuzz_target["base"]
    session = requests.Session() if who == "anonymous" else fuzz_target["owner"].http
    operations = _operations(fuzz_target["app"])
    changing = {(m, p) for m, p, _a in operations if m in {"POST", "PUT", "PATCH", "DELETE"}}
    undocumented = sorted(f"{m} {p}" for m, p in changing if p not in spec["paths"])
    assert not undocumented, f"state-changing routes missing from docs/openapi.yaml: {undocumented}"
    sent = 0
    for method, path, args in operations:
        if who != "anonymous" and path in SESSION_ENDING:
            continue
        ctype, props = _body_schema(spec, method, path)
        # Path ids beyond any database integer, and negative ones: never a 5xx.
        for bad in (str(BIG), str(-BIG), "-1"):
            if args:
                r = session.request(method, base + _fill(path, args, bad), json={} if ctype else None, timeout=30)
                _ok_error(r, (who, method, path, bad))
                sent += 1
        url = base + _fill(path, args, "1")
        # Hostile query strings on every route (the GET ones above all).
        if method == "GET" or ctype is None:
            if ctype is None and method != "GET":
                continue  # a body-less state change with a valid id would act: path variants only
            for name, raw in QUERIES.items():
                query = "&".join(f"{q}={raw}" for q in _query_names(spec, method, path))
                r = session.request(method, f"{url}?{query}", timeout=30)
                _ok_error(r, (who, method, path, name))
                sent += 1
            continue
        valid = {k: _base_value(v) for k, v in props.items()}
        if ctype == "multipart/form-data":
            for field in [k for k in props if k != "file"]:
                for raw in (str(BIG), str(-BIG), "-1"):
                    form = {k: str(v) for k, v in valid.items() if k != "file"} | {field: raw}
                    r = session.request(method, url, data=form, files={"file": ("a.txt", b"hello")}, timeout=30)
                    _ok_error(r, (who, method, path, field, raw))
                    sent += 1
            continue
        for field in props or ["content"]:
            for name, evil in CLASSES.items():
                r = session.request(method, url, json={**valid, field: evil}, timeout=30)
                _ok_error(r, (who, method, path, field, name))
                sent += 1
        for raw in ('{"' + next(iter(props), "content") + '": ' + DEEP_TEXT + "}", DEEP_TEXT):
            r = session.request(method, url, data=raw, headers={"Content-Type": "application/json"}, timeout=30)
            _ok_error(r, (who, method, path, "deep"))
            assert r.status_code in (400, 401, 403, 404, 405, 429), (method, path, r.status_code, r.text[:200])
            sent += 1
    assert sent > 400


def _socket_bases(target: Any) -> dict[str, dict[str, Any]]:
    room, message = target["room_id"], target["message_id"]
    return {
        "set_presence": {"presence": "online"},
        "join_room": {"room_id": room},
        "typing": {"room_id": room, "is_typing": False},
        "send_message": {"room_id": room, "content": "x", "client_msg_id": "fuzz", "reply_to_id": message},
        "edit_message": {"message_id": message, "content": "x"},
        "delete_message": {"message_id": message},
        "mark_read": {"room_id": room, "message_id": message},
        "toggle_reaction": {"message_id": message, "emoji": "👍"},
    }


def test_hostile_input_classes_on_every_socket_event(fuzz_target: Any) -> None:
    owner = fuzz_target["owner"]
    bases = _socket_bases(fuzz_target)
    registered = set(fuzz_target["svc"].socketio.server.handlers["/"]) - {"connect", "disconnect"}
    assert registered == set(bases), f"add the new events to _socket_bases: {sorted(registered ^ set(bases))}"
    sock = owner.socket()
    try:
        for event, base in bases.items():
            for field in base:
                for name, evil in CLASSES.items():
                    ack = sock.call(event, {**base, field: evil})
                    assert isinstance(ack, dict) and ack.get("ok") is False, (event, field, name, ack)
                    assert ack["code"] != "internal_error", (event, field, name, ack)
            for evil in (SURROGATE, BIG, -1, [BIG], None):
                ack = sock.call(event, evil)
                assert isinstance(ack, dict) and ack.get("code") != "internal_error", (event, evil, ack)
    finally:
        sock.disconnect()
    # Packets nested deeper than Python's JSON decoder: every event still answers invalid_json.
    url = fuzz_target["base"].replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
    ws = websocket.create_connection(url, cookie=owner.cookie_header(), origin=fuzz_target["base"], timeout=10)
    try:
        assert ws.recv().startswith("0")
        ws.send("40")
        while not ws.recv().startswith("40"):
            pass
        for n, event in enumerate(bases, start=1):
            ws.send(f"42{n}" + json.dumps([event])[:-1] + "," + DEEP_TEXT + "]")
            while not (frame := ws.recv()).startswith(f"43{n}["):
                if frame == "2":
                    ws.send("3")
            ack = json.loads(frame[len(f"43{n}"):])[0]
            assert ack == {**ack, "ok": False, "code": "invalid_json"}, (event, ack)
    finally:
        ws.close()
