"""Login CSRF and cross-site requests (#18 item 1): JSON routes take only application/json, and every
state-changing request from another site's page is refused by its Origin (or Referer)."""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests

from tests.helpers import LiveUser, TestUser

LOGIN = {"username": "mallory", "password": "long-password-1"}


def test_a_text_plain_form_cannot_log_a_browser_in(app: Any) -> None:
    TestUser(app, "mallory", password=LOGIN["password"])
    client = app.test_client()
    # What <form enctype="text/plain"> on another site can send: a JSON-looking body, wrong type.
    for ctype in ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"):
        r = client.post("/api/login", data=json.dumps(LOGIN), headers={"Content-Type": ctype})
        assert r.status_code == 415 and r.get_json()["code"] == "unsupported_media_type", (ctype, r.get_json())
        assert "im_session" not in r.headers.get("Set-Cookie", "")
        r = client.post("/api/register", data=json.dumps({**LOGIN, "username": "victim2"}),
                        headers={"Content-Type": ctype})
        assert r.status_code == 415, ctype
    assert client.get("/api/me").status_code == 401
    r = client.post("/api/login", json=LOGIN)  # the real client still logs in
    assert r.status_code == 200


@pytest.mark.parametrize("headers", [
    {"Origin": "http://evil.example"},
    {"Origin": "null"},
    {"Origin": "http://localhost.evil.example"},
    {"Origin": "https://localhost"},  # another scheme is another origin
    {"Referer": "http://evil.example/attack.html"},
])
def test_cross_site_state_changes_are_refused(app: Any, headers: dict[str, str]) -> None:
    kim = TestUser(app, "kim")
    TestUser(app, "mallory", password=LOGIN["password"])
    anon = app.test_client()
    for path, body in (("/api/login", LOGIN), ("/api/register", {**LOGIN, "username": "newbie"})):
        r = anon.post(path, json=body, headers=headers)
        assert r.status_code == 403 and r.get_json()["code"] == "origin_rejected", (path, r.get_json())
    # Logged in, with the right CSRF token even: still refused when a page of another site sends it.
    for method, path, body in (("POST", "/api/rooms", {"type": "group", "name": "x", "member_ids": []}),
                               ("PATCH", "/api/me", {"display_name": "pwned"}),
                               ("POST", "/api/logout", None)):
        r = kim.client.open(path, method=method, json=body, headers={**headers, "X-CSRF-Token": kim.csrf})
        assert r.status_code == 403 and r.get_json()["code"] == "origin_rejected", (path, r.get_json())
    assert kim.get("/api/me").get_json()["user"]["display_name"] == "kim"


def test_same_origin_and_non_browser_clients_pass(app: Any) -> None:
    TestUser(app, "mallory", password=LOGIN["password"])
    for headers in ({"Origin": "http://localhost"}, {"Origin": "HTTP://LOCALHOST"},
                    {"Referer": "http://localhost/"}, {}):
        r = app.test_client().post("/api/login", json=LOGIN, headers=headers)
        assert r.status_code == 200, (headers, r.get_json())


def test_allowed_origins_setting_and_every_host_name_of_the_server(start_server: Any) -> None:
    server = start_server(ALLOWED_ORIGINS="https://chat.example.com")
    port = server.url.rsplit(":", 1)[1]
    LiveUser(server.url, "mallory", password=LOGIN["password"])
    for host, origin, status in (
        (f"127.0.0.1:{port}", f"http://127.0.0.1:{port}", 200),
        (f"messenger-pc.local:{port}", f"http://messenger-pc.local:{port}", 200),  # any name of this PC
        (f"127.0.0.1:{port}", "https://chat.example.com", 200),  # ALLOWED_ORIGINS
        (f"127.0.0.1:{port}", f"http://messenger-pc.local:{port}", 403),  # Host and Origin disagree
        (f"127.0.0.1:{port}", "http://evil.example", 403),
    ):
        r = requests.post(f"{server.url}/api/login", json=LOGIN, headers={"Host": host, "Origin": origin}, timeout=10)
        assert r.status_code == status, (host, origin, r.text)
