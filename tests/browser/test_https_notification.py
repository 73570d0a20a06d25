"""Issue 11 end to end in a real browser: HTTPS with the local CA, a Chromium that trusts only that CA
(imported into its NSS database, as the tray's "install the certificate" does) connects without a
certificate warning, and a mention pops up a desktop notification (permission granted)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import requests
from playwright.sync_api import Playwright, expect

from messenger.lan import certs
from messenger.lan.trust import NSS_NICKNAME
from tests.browser.conftest import ARGS, CHROMIUM
from tests.browser.server import ServerProcess
from tests.browser.ui import PASSWORD, login, unique
from tests.services import free_port, missing

RECORD_NOTIFICATIONS = """
(() => {
  const Original = window.Notification;
  if (!Original) return;
  window.__notifications = [];
  class Recording extends Original {
    constructor(title, options) {
      window.__notifications.push({ title, body: (options || {}).body || '' });
      super(title, options);
    }
  }
  Object.defineProperty(Recording, 'permission', { get: () => Original.permission });
  Recording.requestPermission = (...a) => Original.requestPermission(...a);
  window.Notification = Recording;
})();
"""


def _api_user(base: str, ca: Path, username: str) -> requests.Session:
    s = requests.Session()
    s.trust_env = False
    s.verify = str(ca)
    r = s.post(f"{base}/api/register", json={"username": username, "password": PASSWORD, "display_name": username})
    assert r.status_code == 201, r.text
    r = s.post(f"{base}/api/login", json={"username": username, "password": PASSWORD})
    s.headers["X-CSRF-Token"] = r.json()["csrf_token"]
    s.user_id = r.json()["user"]["id"]  # type: ignore[attr-defined]
    return s


def test_https_trusted_ca_and_mention_notification(playwright: Playwright, tmp_path: Path) -> None:
    if shutil.which("certutil") is None:
        missing("certutil (libnss3-tools)")
    https_port = free_port()
    server = ServerProcess(tmp_path / "data", env={"HTTPS_MODE": "local-ca", "HTTPS_PORT": str(https_port)})
    server.start()
    try:
        base = f"https://127.0.0.1:{https_port}"
        ca = certs.cert_paths(tmp_path / "data").ca_cert
        home = tmp_path / "home"
        nssdb = home / ".pki" / "nssdb"
        nssdb.mkdir(parents=True)
        subprocess.run(["certutil", "-N", "-d", f"sql:{nssdb}", "--empty-password"], check=True, timeout=30)
        subprocess.run(["certutil", "-A", "-d", f"sql:{nssdb}", "-t", "C,,", "-n", NSS_NICKNAME, "-i", str(ca)],
                       check=True, timeout=30)
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS,
                                             env={**os.environ, "HOME": str(home)})
        try:
            context = browser.new_context(locale="ko-KR")
            context.grant_permissions(["notifications"], origin=base)
            context.add_init_script(RECORD_NOTIFICATIONS)
            page = context.new_page()
            errors: list[Any] = []
            page.on("requestfailed", lambda req: errors.append(req.failure))
            bob_name = unique("bob")
            bob = _api_user(base, ca, bob_name)
            alice = _api_user(base, ca, unique("alice"))
            room = alice.post(f"{base}/api/rooms", json={"type": "group", "name": "주간 회의",
                                                         "member_ids": [bob.user_id]}).json()["room"]
            login(page, base, bob_name)  # no certificate interstitial: the CA is trusted
            assert page.evaluate("() => window.isSecureContext") is True
            assert page.evaluate("() => Notification.permission") == "granted"
            assert not errors, errors
            # Plain HTTP sends the browser to HTTPS.
            http_page = context.new_page()
            http_page.goto(f"http://127.0.0.1:{server.port}/")
            assert http_page.url.startswith(base)
            http_page.close()
            r = alice.post(f"{base}/api/rooms/{room['id']}/messages",
                           json={"content": f"@{bob_name} 회의 자료 확인 부탁드려요"})
            assert r.status_code == 201, r.text
            page.wait_for_function("() => (window.__notifications || []).length > 0", timeout=10000)
            shown = page.evaluate("() => window.__notifications")
            assert "회의 자료 확인" in shown[0]["body"]
            expect(page.locator(f'[data-testid="room-item"][data-room-id="{room["id"]}"]')).to_be_visible()
        finally:
            browser.close()
    finally:
        server.stop()
