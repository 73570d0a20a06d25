"""Shared fixtures.

The test process is not monkey-patched: python-socketio's threaded client cannot share gevent-patched
sockets across its threads. The in-process server still runs exactly as in the launcher (gevent's
WSGI server with its own hub in a background thread); the patched launcher itself is exercised by
the subprocess tests (``test_launcher.py``, scale-out, browser and binary tests).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.services import postgres_cluster

# Servers started by tests (in-process or as launcher subprocesses, which inherit this) never
# announce themselves over mDNS: multicast would leave loopback. tests/lan/ tests discovery on
# the loopback interface explicitly.
os.environ["MDNS_ENABLED"] = "false"


def pytest_addoption(parser: Any) -> None:
    parser.addoption("--db", default=os.environ.get("MESSENGER_TEST_DB", "sqlite"),
                     choices=("sqlite", "postgres", "both"),
                     help="database backend(s) for the server tests")


def pytest_generate_tests(metafunc: Any) -> None:
    if "db_backend" in metafunc.fixturenames:
        choice = metafunc.config.getoption("--db")
        backends = ["sqlite", "postgres"] if choice == "both" else [choice]
        metafunc.parametrize("db_backend", backends, scope="session")


def pytest_collection_modifyitems(config: Any, items: list[Any]) -> None:
    """schemathesis (tests/reliability/test_fuzz.py) makes one item per API operation, named
    ``test_x[GET /api/...]``, but gives them all the node id ``...::test_x``. pytest-xdist schedules by node
    id (tests/run.sh runs two workers), so it ran one item of each and dropped the other ~170 operations
    without a word. Each item gets the node id its name says, and a collection with two items under one id
    is refused, so no later upgrade can drop tests silently again."""
    for item in items:
        if item.parent is not None and item.nodeid.rsplit("::", 1)[-1] != item.name:
            item._id = item.parent.id.child(item.name)  # pytest 9 keeps a node's id there; no public setter
    seen: set[str] = set()
    twice = sorted({item.nodeid for item in items if item.nodeid in seen or seen.add(item.nodeid)})
    if twice:
        raise pytest.UsageError(f"tests collected twice under one node id (pytest-xdist would drop them): {twice[:5]}")


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[Any]:
    with postgres_cluster() as cluster:
        from messenger.storage import Database
        from messenger.storage.migrate import upgrade

        template = cluster.create_database()
        db = Database(cluster.url(template))
        upgrade(db)
        db.dispose()
        cluster.template = template  # type: ignore[attr-defined]
        yield cluster


@pytest.fixture
def database_url(request: Any, db_backend: str) -> str:
    """'' for the embedded SQLite default, or a fresh migrated PostgreSQL database."""
    if db_backend == "sqlite":
        return ""
    cluster = request.getfixturevalue("pg_cluster")
    return cluster.url(cluster.create_database(template=cluster.template))


@pytest.fixture
def make_settings(tmp_path: Path, database_url: str) -> Any:
    """Build Settings for a fresh data dir; keyword arguments override settings."""
    from messenger.settings import load_settings

    counter = {"n": 0}

    def factory(**overrides: Any) -> Any:
        counter["n"] += 1
        data_dir = tmp_path / f"data{counter['n']}"
        values = {"SECRET_KEY": secrets.token_urlsafe(32), "DATABASE_URL": database_url, "MDNS_ENABLED": False,
                  **overrides}
        return load_settings(data_dir, env={}, overrides=values)

    return factory


@pytest.fixture
def app(make_settings: Any) -> Iterator[Any]:
    """The real app (all features) on a fresh database, for the Flask test client."""
    from messenger.app import create_app, get_services

    application = create_app(make_settings())
    yield application
    get_services(application).db.dispose()


@pytest.fixture
def svc(app: Any) -> Any:
    from messenger.app import get_services

    return get_services(app)


class LiveServer:
    def __init__(self, runner: Any) -> None:
        self.runner = runner
        self.url = runner.local_url
        self.svc = runner.services()
        self.app = runner.app

    def call(self, fn: Any, *args: Any) -> Any:
        """Run ``fn`` inside the server's hub (thread-safe hand-off)."""
        return self.runner.call(fn, *args)


@pytest.fixture
def start_server(make_settings: Any) -> Iterator[Any]:
    """Start real servers (gevent WSGI in a thread, as the launcher does); all stopped at the end."""
    from messenger.server import ServerRunner

    runners: list[Any] = []

    def start(settings: Any = None, **overrides: Any) -> LiveServer:
        runner = ServerRunner(settings or make_settings(**overrides), host="127.0.0.1", port=0)
        runner.start()
        runners.append(runner)
        return LiveServer(runner)

    yield start
    for runner in runners:
        runner.stop()


@pytest.fixture
def live_server(start_server: Any) -> LiveServer:
    return start_server()
