"""Test helpers: logged-in HTTP clients (Flask test client or real HTTP) and Socket.IO clients."""

from __future__ import annotations

import threading
import time
from typing import Any

import requests
import socketio

PASSWORD = "correct-horse-1"


class TestUser:
    """A user logged in through the Flask test client; adds the CSRF header to unsafe requests."""

    __test__ = False

    def __init__(self, app: Any, username: str, display_name: str | None = None, password: str = PASSWORD,
                 register: bool = True) -> None:
        self.client = app.test_client()
        self.username = username
        self.password = password
        if register:
            r = self.client.post("/api/register", json={"username": username, "password": password,
                                                        "display_name": display_name or username})
            assert r.status_code == 201, r.get_json()
        r = self.client.post("/api/login", json={"username": username, "password": password})
        assert r.status_code == 200, r.get_json()
        self.user = r.get_json()["user"]
        self.id = self.user["id"]
        self.csrf = r.get_json()["csrf_token"]

    def _headers(self, headers: dict[str, str] | None) -> dict[str, str]:
        return {"X-CSRF-Token": self.csrf, **(headers or {})}

    def get(self, path: str, **kw: Any) -> Any:
        return self.client.get(path, **kw)

    def post(self, path: str, json: Any = None, headers: dict[str, str] | None = None, **kw: Any) -> Any:
        return self.client.post(path, json=json, headers=self._headers(headers), **kw)

    def patch(self, path: str, json: Any = None, headers: dict[str, str] | None = None, **kw: Any) -> Any:
        return self.client.patch(path, json=json, headers=self._headers(headers), **kw)

    def delete(self, path: str, json: Any = None, headers: dict[str, str] | None = None, **kw: Any) -> Any:
        return self.client.delete(path, json=json, headers=self._headers(headers), **kw)


class LiveUser:
    """A user of a running server over real HTTP (``requests``), with Socket.IO helpers."""

    def __init__(self, base_url: str, username: str, display_name: str | None = None,
                 password: str = PASSWORD, register: bool = True) -> None:
        self.base = base_url
        self.http = requests.Session()
        self.username = username
        self.password = password
        if register:
            r = self.http.post(f"{base_url}/api/register", json={
                "username": username, "password": password, "display_name": display_name or username})
            assert r.status_code == 201, r.text
        self.login()

    def login(self) -> None:
        r = self.http.post(f"{self.base}/api/login", json={"username": self.username, "password": self.password})
        assert r.status_code == 200, r.text
        self.user = r.json()["user"]
        self.id = self.user["id"]
        self.csrf = r.json()["csrf_token"]
        self.http.headers["X-CSRF-Token"] = self.csrf

    def get(self, path: str, **kw: Any) -> requests.Response:
        return self.http.get(self.base + path, **kw)

    def post(self, path: str, json: Any = None, **kw: Any) -> requests.Response:
        return self.http.post(self.base + path, json=json, **kw)

    def patch(self, path: str, json: Any = None, **kw: Any) -> requests.Response:
        return self.http.patch(self.base + path, json=json, **kw)

    def delete(self, path: str, json: Any = None, **kw: Any) -> requests.Response:
        return self.http.delete(self.base + path, json=json, **kw)

    def cookie_header(self) -> str:
        return "; ".join(f"{c.name}={c.value}" for c in self.http.cookies)

    def socket(self, transports: list[str] | None = None, **kw: Any) -> "SocketRecorder":
        rec = SocketRecorder()
        rec.client.connect(self.base, headers={"Cookie": self.cookie_header()},
                           transports=transports or ["websocket"], wait_timeout=10, **kw)
        return rec


class SocketRecorder:
    """A python-socketio client that records every event it receives."""

    def __init__(self, reconnection: bool = False) -> None:
        self.client = socketio.Client(reconnection=reconnection)
        self.events: list[tuple[str, Any]] = []
        self._cond = threading.Condition()

        @self.client.on("*")
        def _any(event: str, data: Any = None) -> None:
            with self._cond:
                self.events.append((event, data))
                self._cond.notify_all()

    def call(self, event: str, data: Any = None, timeout: float = 10) -> Any:
        return self.client.call(event, data, timeout=timeout)

    def of(self, event: str) -> list[Any]:
        with self._cond:
            return [d for e, d in self.events if e == event]

    def wait_for(self, event: str, predicate: Any = None, timeout: float = 5.0) -> Any:
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for e, d in self.events:
                    if e == event and (predicate is None or predicate(d)):
                        return d
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"no {event!r} event within {timeout}s; got {[e for e, _ in self.events]}")
                self._cond.wait(left)

    def disconnect(self) -> None:
        try:
            self.client.disconnect()
        except Exception:
            pass


def presence_updates(batch: dict[str, Any]) -> list[dict[str, Any]]:
    """A ``presence_batch`` as one ``{user_id, presence, availability, status_message}`` per user, as the
    web client reads it (messenger/web/static/js/socket.js ``presenceUpdates``): users grouped by presence,
    ``details`` only for those not plainly available without a status message."""
    details = {d["user_id"]: d for d in batch.get("details", [])}
    return [{"user_id": uid, "presence": presence,
             "availability": details[uid]["availability"] if uid in details else "online",
             "status_message": details[uid]["status_message"] if uid in details else ""}
            for presence in ("online", "away", "offline") for uid in batch.get(presence, [])]
