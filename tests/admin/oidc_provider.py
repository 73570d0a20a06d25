"""The real OpenID Provider (npm ``oidc-provider``, tests/oidc/provider.mjs) on a loopback port, and a
browser-like login through its development login and consent forms with ``requests``."""

from __future__ import annotations

import html
import re
import shutil
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests

from tests.services import free_port, missing

OIDC_DIR = Path(__file__).resolve().parents[1] / "oidc"
CLIENT_ID = "messenger"
CLIENT_SECRET = "messenger-secret"


class Provider:
    def __init__(self, port: int, proc: subprocess.Popen[str]) -> None:
        self.port = port
        self.proc = proc
        self.issuer = f"http://127.0.0.1:{port}"


@contextmanager
def oidc_provider(*redirect_uris: str) -> Iterator[Provider]:
    node = shutil.which("node")
    if node is None:
        missing("node (Node.js)")
    if not (OIDC_DIR / "node_modules" / "oidc-provider").is_dir():
        missing("oidc-provider (run: npm ci --prefix tests/oidc)")
    port = free_port()
    proc = subprocess.Popen([str(node), str(OIDC_DIR / "provider.mjs"), str(port), *redirect_uris],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    ready = threading.Event()

    def watch() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            if line.startswith("READY"):
                ready.set()
        ready.set()

    threading.Thread(target=watch, daemon=True).start()
    try:
        if not ready.wait(20) or proc.poll() is not None:
            raise RuntimeError("oidc-provider did not start")
        yield Provider(port, proc)
    finally:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()


def _form(page: requests.Response) -> tuple[str, dict[str, str]]:
    """The first form's absolute action and its hidden inputs."""
    action = re.search(r'<form[^>]*action="([^"]+)"', page.text)
    assert action is not None, page.text[:500]
    hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page.text))
    return requests.compat.urljoin(page.url, html.unescape(action.group(1))), hidden


def browser_login(http: requests.Session, start_url: str, login: str, consent: bool = True) -> requests.Response:
    """Follow the RP's login redirect, sign in at the provider, grant consent; return the last response."""
    page = http.get(start_url, timeout=10)
    assert "/interaction/" in page.url, (page.status_code, page.url, page.text[:300])
    action, fields = _form(page)
    page = http.post(action, data={**fields, "prompt": "login", "login": login, "password": "any"}, timeout=10)
    if "/interaction/" in page.url and 'name="prompt" value="consent"' in page.text:
        if not consent:
            abort = re.search(r'href="([^"]*/abort)"', page.text)
            assert abort is not None, page.text[:500]
            return http.get(requests.compat.urljoin(page.url, html.unescape(abort.group(1))), timeout=10)
        action, fields = _form(page)
        page = http.post(action, data={**fields, "prompt": "consent"}, timeout=10)
    return page
