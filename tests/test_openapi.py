"""docs/openapi.yaml is generated from the routes and request models (build/openapi.py), never edited."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def _script():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("openapi_script", ROOT / "build" / "openapi.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_committed_document_is_the_generated_one() -> None:
    committed = (ROOT / "docs" / "openapi.yaml").read_text(encoding="utf-8")
    assert _script().render() == committed, "docs/openapi.yaml is out of date: run python build/openapi.py"


def test_every_json_route_declares_its_request_model() -> None:
    """A route that reads a JSON body does so through @accepts(Model), so the document shows it."""
    import yaml

    document = yaml.safe_load((ROOT / "docs" / "openapi.yaml").read_text(encoding="utf-8"))
    bodies = {(path, method) for path, item in document["paths"].items() for method, op in item.items()
              if method != "parameters" and "requestBody" in op}
    assert ("/api/login", "post") in bodies and ("/api/rooms/{room_id}/messages", "post") in bodies
    sources = "".join(p.read_text(encoding="utf-8") for p in (ROOT / "messenger").rglob("*.py"))
    assert "get_json(" not in sources and "request.json" not in sources
    assert len(re.findall(r"@accepts\((?!query=)", sources)) + sources.count("@form(") == len(bodies)


def test_the_main_objects_answer_as_the_document_says(live_server: Any) -> None:
    """Real answers of a real server (not the fuzzer's random ones) against the response schemas the
    document declares: user, room (one and the list), message (one and a page), notice, file."""
    import io

    import schemathesis
    from PIL import Image

    from tests.helpers import LiveUser

    schema = schemathesis.openapi.from_path(ROOT / "docs" / "openapi.yaml")

    def check(path: str, method: str, response: Any, status: int) -> Any:
        assert response.status_code == status, response.text
        schema[path][method].validate_response(response)
        return response.json()

    boss, kim = LiveUser(live_server.url, "boss"), LiveUser(live_server.url, "kim")
    check("/api/me", "GET", kim.get("/api/me"), 200)
    check("/api/me", "PATCH", kim.patch("/api/me", json={"status_message": "회의 중"}), 200)
    check("/api/users", "GET", kim.get("/api/users", params={"q": "bo"}), 200)
    room = check("/api/rooms", "POST", kim.post("/api/rooms", json={"type": "group", "name": "기획팀",
                                                                       "member_ids": [boss.id]}), 201)["room"]
    check("/api/rooms", "POST", kim.post("/api/rooms", json={"type": "direct", "user_id": boss.id}), 201)
    rid = room["id"]
    image = io.BytesIO()
    Image.new("RGB", (40, 30), (10, 120, 200)).save(image, "PNG")
    upload = check("/api/upload", "POST", kim.post("/api/upload", data={"room_id": str(rid)},
                                                  files={"file": ("도면.png", image.getvalue(), "image/png")}), 200)
    sent = check("/api/rooms/{room_id}/messages", "POST", kim.post(
        f"/api/rooms/{rid}/messages", json={"content": "도면입니다", "type": "file", "client_msg_id": "c1",
                                            "upload_token": upload["upload_token"]}), 201)["message"]
    assert sent["file"]["name"] == "도면.png"
    reply = check("/api/rooms/{room_id}/messages", "POST", boss.post(
        f"/api/rooms/{rid}/messages", json={"content": "확인", "client_msg_id": "c2", "reply_to_id": sent["id"]}),
        201)["message"]
    assert reply["reply_to"]["id"] == sent["id"]
    check("/api/messages/{message_id}", "PATCH", boss.patch(f"/api/messages/{reply['id']}",
                                                            json={"content": "확인했습니다"}), 200)
    page = check("/api/rooms/{room_id}/messages", "GET", kim.get(f"/api/rooms/{rid}/messages"), 200)
    assert {sent["id"], reply["id"]} <= {m["id"] for m in page["messages"]}
    notice = check("/api/rooms/{room_id}/notices", "POST", kim.post(
        f"/api/rooms/{rid}/notices", json={"content": "내일 10시 회의", "require_ack": True}), 201)["notice"]
    check("/api/notices/{notice_id}/ack", "POST", boss.post(f"/api/notices/{notice['id']}/ack"), 200)
    check("/api/rooms/{room_id}/notices", "GET", boss.get(f"/api/rooms/{rid}/notices"), 200)
    acks = check("/api/notices/{notice_id}/acks", "GET", kim.get(f"/api/notices/{notice['id']}/acks"), 200)
    assert [p["id"] for p in acks["acked"]] == [boss.id]
    check("/api/notices/{notice_id}/remind", "POST", kim.post(f"/api/notices/{notice['id']}/remind"), 200)
    pins = check("/api/rooms/{room_id}/pins", "POST", kim.post(f"/api/rooms/{rid}/pins",
                                                              json={"message_id": reply["id"]}), 201)["pins"]
    assert pins[0]["pinned_by"]["id"] == kim.id
    check("/api/rooms/{room_id}/pins", "GET", boss.get(f"/api/rooms/{rid}/pins"), 200)
    check("/api/rooms/{room_id}/pins/{message_id}", "DELETE", kim.delete(f"/api/rooms/{rid}/pins/{reply['id']}"), 200)
    check("/api/notices/{notice_id}", "DELETE", kim.delete(f"/api/notices/{notice['id']}"), 200)
    check("/api/rooms", "GET", kim.get("/api/rooms"), 200)
    check("/api/rooms/{room_id}", "GET", boss.get(f"/api/rooms/{rid}"), 200)
    check("/api/rooms/read-all", "POST", kim.post("/api/rooms/read-all"), 200)
    check("/api/messages/{message_id}", "DELETE", kim.delete(f"/api/messages/{sent['id']}"), 200)
    bad = kim.get("/api/rooms/999999")
    assert bad.status_code in (403, 404)
    schema["/api/rooms/{room_id}"]["GET"].validate_response(bad)  # the error object


def test_the_document_declares_the_main_objects() -> None:
    import yaml

    document = yaml.safe_load((ROOT / "docs" / "openapi.yaml").read_text(encoding="utf-8"))
    assert {"User", "Person", "Room", "RoomListItem", "Message", "Notice", "File", "Error"} <= set(
        document["components"]["schemas"])
    sent = document["paths"]["/api/rooms/{room_id}/messages"]["post"]["responses"]
    assert sent["201"]["content"]["application/json"]["schema"]["properties"]["message"] == {
        "$ref": "#/components/schemas/Message"}


def test_people_admin_and_forwarding_answer_as_the_document_says(live_server: Any) -> None:
    import schemathesis

    from tests.helpers import LiveUser

    schema = schemathesis.openapi.from_path(ROOT / "docs" / "openapi.yaml")

    def check(path: str, method: str, response: Any, status: int = 200) -> Any:
        assert response.status_code == status, response.text
        schema[path][method].validate_response(response)
        return response.json()

    boss, kim, lee = (LiveUser(live_server.url, name) for name in ("boss", "kim", "lee"))
    users = check("/api/admin/users", "GET", boss.get("/api/admin/users"))["users"]
    assert {u["username"] for u in users} >= {"boss", "kim", "lee"}
    check("/api/admin/users/{user_id}", "PATCH", boss.patch(f"/api/admin/users/{kim.id}", json={"title": "과장"}))
    check("/api/users/{user_id}", "GET", lee.get(f"/api/users/{kim.id}"))
    check("/api/people/online", "GET", lee.get("/api/people/online"))
    room = kim.post("/api/rooms", json={"type": "group", "name": "영업팀", "member_ids": [boss.id, lee.id]}).json()["room"]
    other = kim.post("/api/rooms", json={"type": "direct", "user_id": boss.id}).json()["room"]
    sent = kim.post(f"/api/rooms/{room['id']}/messages", json={"content": "견적서 보냅니다"}).json()["message"]
    copies = check("/api/messages/{message_id}/forward", "POST", kim.post(
        f"/api/messages/{sent['id']}/forward", json={"room_ids": [other["id"]]}), 201)["messages"]
    assert copies[0]["room_id"] == other["id"]
    check("/api/rooms/{room_id}/members/{user_id}", "PATCH",
          kim.patch(f"/api/rooms/{room['id']}/members/{lee.id}", json={"role": "admin"}))
    check("/api/rooms/{room_id}/members/{user_id}", "DELETE", kim.delete(f"/api/rooms/{room['id']}/members/{lee.id}"))
    check("/api/admin/users/{user_id}/reset-password", "POST", boss.post(f"/api/admin/users/{lee.id}/reset-password"))
    made = check("/api/rooms/{room_id}/polls", "POST", kim.post(
        f"/api/rooms/{room['id']}/polls", json={"question": "점심 메뉴?", "options": ["국밥", "김밥"]}), 201)
    poll_id = made["poll"]["id"]
    option = made["poll"]["options"][0]["id"]
    check("/api/polls/{poll_id}/vote", "POST", boss.post(f"/api/polls/{poll_id}/vote", json={"option_id": option}))
    check("/api/polls/{poll_id}", "GET", kim.get(f"/api/polls/{poll_id}"))
    check("/api/polls/{poll_id}/close", "POST", kim.post(f"/api/polls/{poll_id}/close"))
    check("/api/me/preferences", "GET", kim.get("/api/me/preferences"))
    check("/api/me/preferences", "PATCH", kim.patch("/api/me/preferences", json={"language": "en", "sound": False}))
    check("/api/logout-all", "POST", kim.post("/api/logout-all"))
    check("/api/admin/users/{user_id}", "DELETE", boss.delete(f"/api/admin/users/{kim.id}"))


def test_every_operation_declares_its_answer() -> None:
    """No operation is left with the generic ``2XX`` answer: JSON routes name their response model, the others
    (pages, files, images, CSV) their media type and statuses."""
    import yaml

    document = yaml.safe_load((ROOT / "docs" / "openapi.yaml").read_text(encoding="utf-8"))
    generic = [f"{method.upper()} {path}" for path, item in document["paths"].items()
               for method, op in item.items() if method != "parameters" and "2XX" in op["responses"]]
    assert generic == []
    media = {(path, method): sorted(op["responses"]["200"]["content"]) for path, item in document["paths"].items()
             for method, op in item.items() if method != "parameters" and "200" in op["responses"]}
    assert media[("/", "get")] == ["text/html"]
    assert media[("/setup/qr.png", "get")] == ["image/png"]
    assert media[("/api/admin/audit-logs", "get")] == ["application/json", "text/csv"]
    assert media[("/api/admin/backups/{name}/download", "get")] == ["application/zip"]
    assert "304" in document["paths"]["/files/{file_id}/{name}"]["get"]["responses"]


def test_the_remaining_routes_answer_as_the_document_says(live_server: Any) -> None:
    """Real answers of the routes that got their response models last (threads, reactions, reads, search,
    room settings and files, the console's status, settings, logs and backups, the directory, config,
    health, providers), and the media type of the answers that are not JSON."""
    import schemathesis

    from tests.helpers import LiveUser

    schema = schemathesis.openapi.from_path(ROOT / "docs" / "openapi.yaml")
    document = schema.raw_schema

    def check(path: str, method: str, response: Any, status: int = 200) -> Any:
        assert response.status_code == status, response.text
        schema[path][method].validate_response(response)
        declared = document["paths"][path][method.lower()]["responses"][str(status)].get("content", {})
        media = response.headers.get("Content-Type", "").split(";")[0]
        assert media in declared or "*/*" in declared, (path, media, sorted(declared))
        return response.json() if media == "application/json" else response

    boss, kim = LiveUser(live_server.url, "boss"), LiveUser(live_server.url, "kim")
    rid = kim.post("/api/rooms", json={"type": "group", "name": "기획팀", "member_ids": [boss.id]}).json()["room"]["id"]
    root = kim.post(f"/api/rooms/{rid}/messages", json={"content": "회의 자료", "client_msg_id": "r1"}).json()["message"]
    assert boss.post(f"/api/rooms/{rid}/messages", json={"content": "확인", "client_msg_id": "r2",
                                                          "thread_root_id": root["id"]}).status_code == 201
    mid = root["id"]
    assert check("/api/messages/{message_id}/reactions", "POST",
                 kim.post(f"/api/messages/{mid}/reactions", json={"emoji": "👍"}))["reactions"][0]["count"] == 1
    assert [p["id"] for p in check("/api/messages/{message_id}/reads", "GET",
                                   kim.get(f"/api/messages/{mid}/reads"))["read"]] == [boss.id]
    assert len(check("/api/messages/{message_id}/thread", "GET", kim.get(f"/api/messages/{mid}/thread"))["replies"]) == 1
    check("/api/messages/{message_id}/thread/read", "POST", kim.post(f"/api/messages/{mid}/thread/read"))
    assert check("/api/threads", "GET", boss.get("/api/threads"))["threads"][0]["root"]["id"] == mid
    check("/api/rooms/{room_id}/read", "POST", boss.post(f"/api/rooms/{rid}/read", json={"message_id": mid}))
    assert check("/api/rooms/{room_id}/settings", "PATCH", kim.patch(
        f"/api/rooms/{rid}/settings", json={"notify": "mentions"}))["settings"]["notify"] == "mentions"
    upload = kim.post("/api/upload", data={"room_id": str(rid)}, files={"file": ("회의록.txt", b"minutes", "text/plain")})
    kim.post(f"/api/rooms/{rid}/messages", json={"type": "file", "client_msg_id": "f1",
                                                 "upload_token": upload.json()["upload_token"]})
    shared = check("/api/rooms/{room_id}/files", "GET", kim.get(f"/api/rooms/{rid}/files"))["files"]
    assert shared[0]["name"] == "회의록.txt" and shared[0]["uploader"]["id"] == kim.id
    check("/files/{file_id}/{name}", "GET", boss.get(shared[0]["url"]))
    kim.patch(f"/api/rooms/{rid}", json={"name": "기획팀 2"})
    assert check("/api/rooms/{room_id}/admin-audit-logs", "GET", kim.get(f"/api/rooms/{rid}/admin-audit-logs"))["logs"]
    check("/api/rooms/{room_id}/admin-audit-logs", "GET",
          kim.get(f"/api/rooms/{rid}/admin-audit-logs", params={"format": "csv"}))
    assert check("/api/rooms/search", "GET", kim.get("/api/rooms/search", params={"q": "기획"}))["rooms"][0]["id"] == rid
    found = check("/api/search", "GET", kim.get("/api/search", params={"q": "회의"}))
    assert {r["room"]["id"] for r in found["results"]} == {rid} and any(r["highlights"] for r in found["results"])
    check("/api/search/advanced", "POST", kim.post("/api/search/advanced", json={"q": "회의록", "include_rooms": True}))
    check("/api/config", "GET", kim.get("/api/config"))
    assert check("/api/health", "GET", kim.get("/api/health"))["status"] == "ok"
    assert check("/api/auth/providers", "GET", kim.get("/api/auth/providers"))["providers"][0]["id"] == "local"
    check("/api/directory", "GET", kim.get("/api/directory"))
    imported = check("/api/admin/directory/import", "POST", boss.post(
        "/api/admin/directory/import", files={"file": ("people.csv", "username,display_name,department\r\n"
                                                   "park,박지민,영업\r\nkim,kim,기획\r\n".encode(), "text/csv")}))
    assert [c["username"] for c in imported["created"]] == ["park"] and imported["updated"][0]["id"] == kim.id
    check("/api/admin/directory/export", "GET", boss.get("/api/admin/directory/export"))
    assert check("/api/admin/audit-logs", "GET", boss.get("/api/admin/audit-logs"))["audit_logs"]
    check("/api/admin/audit-logs", "GET", boss.get("/api/admin/audit-logs", params={"format": "csv"}))
    check("/api/admin/settings", "GET", boss.get("/api/admin/settings"))
    check("/api/admin/settings", "PATCH", boss.patch("/api/admin/settings", json={"registration": "closed"}))
    check("/api/admin/status", "GET", boss.get("/api/admin/status"))
    check("/api/admin/logs", "GET", boss.get("/api/admin/logs", params={"lines": 5}))
    name = check("/api/admin/backups", "POST", boss.post("/api/admin/backups", json={"label": "openapi"}), 201)["backup"]["name"]
    assert check("/api/admin/backups", "GET", boss.get("/api/admin/backups"))["backups"][0]["name"] == name
    assert check("/api/admin/backups/{name}/verify", "POST", boss.post(f"/api/admin/backups/{name}/verify"))["ok"]
    assert check("/api/admin/status", "GET", boss.get("/api/admin/status"))["status"]["last_verification"]["ok"]
    check("/api/admin/backups/{name}/download", "GET", boss.get(f"/api/admin/backups/{name}/download"))
    check("/api/admin/diagnostics", "GET", boss.get("/api/admin/diagnostics"))
    for page in ("/", "/console", "/setup", "/setup/certificate", "/setup/qr.png"):
        check(page, "GET", kim.get(page))
