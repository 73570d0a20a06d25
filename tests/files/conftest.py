"""Fixtures for the files tests: a real clamd, and one app per module (per database backend).

Uploads are limited to 1000/minute here so tests can upload freely (the default limit has its own
test). Tests share the app and its users but each makes its own room.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import Any

import pytest

from tests.files.clamd import clamd  # noqa: F401  (session fixture)
from tests.helpers import TestUser


@pytest.fixture(scope="module")
def app(request: Any, db_backend: str, tmp_path_factory: Any) -> Iterator[Any]:
    from messenger.app import create_app, get_services
    from messenger.settings import load_settings

    url = ""
    if db_backend == "postgres":
        cluster = request.getfixturevalue("pg_cluster")
        url = cluster.url(cluster.create_database(template=cluster.template))
    settings = load_settings(tmp_path_factory.mktemp("files-data"), env={}, overrides={
        "SECRET_KEY": secrets.token_urlsafe(32), "DATABASE_URL": url, "RATE_LIMIT_UPLOAD": "1000/minute"})
    application = create_app(settings)
    yield application
    get_services(application).db.dispose()


@pytest.fixture(scope="module")
def people(app: Any) -> tuple[TestUser, TestUser, TestUser]:
    """alice, bob and carol, registered once per module."""
    return TestUser(app, "alice"), TestUser(app, "bob"), TestUser(app, "carol")
