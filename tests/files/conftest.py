"""Fixtures for the files tests: a real clamd, and an app whose upload limit does not get in the way."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.files.clamd import clamd  # noqa: F401  (session fixture)


@pytest.fixture
def app(make_settings: Any) -> Iterator[Any]:
    """The real app; uploads limited to 1000/minute so tests can upload freely (the limit has its own test)."""
    from messenger.app import create_app, get_services

    application = create_app(make_settings(RATE_LIMIT_UPLOAD="1000/minute"))
    yield application
    get_services(application).db.dispose()
