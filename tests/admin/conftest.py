"""Fixtures for the admin/integration tests: the SSO set-up (a real OpenID Provider and a server that
trusts it) and Chromium for the browser path (the same launch settings as tests/browser)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from tests.admin.oidc_provider import CLIENT_ID, CLIENT_SECRET, browser_login, oidc_provider
from tests.browser.conftest import browser_context_args, browser_type_launch_args  # noqa: F401
from tests.services import free_port


class Sso:
    def __init__(self, base: str, issuer: str, provider: Any) -> None:
        self.base = base
        self.issuer = issuer
        self.provider = provider

    def login(self, name: str, consent: bool = True) -> tuple[requests.Session, requests.Response]:
        http = requests.Session()
        page = browser_login(http, self.base + "/auth/oidc/login", name, consent=consent)
        return http, page


@pytest.fixture
def sso(make_settings: Any) -> Iterator[Sso]:
    from messenger.server import ServerRunner

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with oidc_provider(base + "/auth/oidc/callback") as op:
        settings = make_settings(FEATURE_OIDC_ENABLED=True, OIDC_CLIENT_ID=CLIENT_ID, OIDC_CLIENT_SECRET=CLIENT_SECRET,
                                 OIDC_ISSUER_URL=op.issuer, OIDC_PROVIDER_NAME="회사 SSO")
        runner = ServerRunner(settings, host="127.0.0.1", port=port)
        runner.start()
        try:
            yield Sso(base, op.issuer, op)
        finally:
            runner.stop()
