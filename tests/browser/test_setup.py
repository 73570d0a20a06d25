"""The first run in Chromium: before any admin exists, a registration from another machine is refused
without the one-time setup code; ``/setup?code=…`` (what the tray opens) registers the admin.

"Another machine" is real as far as the server can tell: the server listens on every interface and
the browser opens it at this machine's LAN address, so the client address is not loopback.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import requests
from playwright.sync_api import Page, expect

from messenger.netinfo import lan_ipv4_addresses
from tests.browser.server import ServerProcess
from tests.helpers import PASSWORD
from tests.services import missing


def _setup_code(server: ServerProcess) -> str:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        found = re.search(r"(?:setup code|설정 코드): ([A-Z0-9]{4}-[A-Z0-9]{4})", server.log())
        if found:
            return found.group(1)
        time.sleep(0.1)
    raise AssertionError(f"no setup code printed:\n{server.log()}")


def test_remote_first_registration_needs_the_setup_code(page: Page, tmp_path: Path) -> None:
    addresses = lan_ipv4_addresses()
    if not addresses:
        missing("a non-loopback IPv4 address on this machine")
    server = ServerProcess(tmp_path / "data", host="0.0.0.0")
    server.start()
    try:
        code = _setup_code(server)
        assert code in (tmp_path / "data" / "logs" / "messenger.log").read_text(encoding="utf-8")
        remote = f"http://{addresses[0]}:{server.port}"
        page.goto(remote + "/")
        page.get_by_test_id("register-open").click()
        page.get_by_test_id("register-username").fill("mallory")
        page.get_by_test_id("register-password").fill(PASSWORD)
        expect(page.get_by_test_id("register-setup-code")).to_be_visible()  # the config says: no admin yet
        page.get_by_test_id("register-submit").click()
        expect(page.locator("#register-error")).to_contain_text("아직 관리자가 없습니다")
        page.get_by_test_id("register-setup-code").fill("AAAA-BBBB")
        page.get_by_test_id("register-submit").click()
        expect(page.locator("#register-error")).to_contain_text("설정 코드가 올바르지 않습니다")
        expect(page.locator("#main-view")).to_be_hidden()
        r = requests.post(server.url + "/api/login", json={"username": "mallory", "password": PASSWORD}, timeout=5)
        assert r.status_code == 401  # the refused registrations created nothing

        page.goto(f"{remote}/setup?code={code}")  # what the tray's "브라우저에서 열기" opens (on this PC)
        expect(page.get_by_test_id("register-setup-code")).to_have_value(code)
        page.get_by_test_id("register-username").fill("boss")
        page.get_by_test_id("register-password").fill(PASSWORD)
        page.get_by_test_id("register-submit").click()
        expect(page.locator("#main-view")).to_be_visible()
        expect(page.locator("#admin-open")).to_be_visible()  # the setup account is the server admin
        expect(page).to_have_url(remote + "/")
        config = requests.get(server.url + "/api/config", timeout=5).json()
        assert config["setup_required"] is False
    except Exception:
        print(server.log())
        raise
    finally:
        server.stop()

