#!/usr/bin/env python3
"""Is a faster JSON encoder worth a dependency? The standard library's ``json`` against orjson, on the
product's two hot JSON paths, interleaved in the same process (the machine is shared and noisy):

- Socket.IO: encoding one ``new_message`` event packet (python-socketio encodes it once per emit, for
  every recipient together), beside the server CPU one message costs on the send path (bench/load.py);
- HTTP: ``GET /api/rooms/<id>/messages?limit=50`` through the real app (Flask test client, so routing,
  authentication, the SQL and the serialisation are all in), with the app's JSON provider as it is,
  the same without sorting keys, and one that encodes with orjson.

    python bench/json_encoders.py [--rounds 15] [--per-round 40]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import orjson  # noqa: E402
from flask.json.provider import DefaultJSONProvider  # noqa: E402
from socketio import packet  # noqa: E402

from messenger.accounts.service import create_user  # noqa: E402
from messenger.app import Utf8JsonProvider, create_app, get_services  # noqa: E402
from messenger.datadir import load_or_create_secret, prepare_data_dir  # noqa: E402
from messenger.messages import service as messages_service  # noqa: E402
from messenger.realtime import PacketJson  # noqa: E402
from messenger.rooms import store as rooms_store  # noqa: E402
from messenger.settings import load_settings  # noqa: E402

PASSWORD = "bench-password-1"


class OrjsonProvider(DefaultJSONProvider):
    def dumps(self, obj: Any, **kwargs: Any) -> str:
        return orjson.dumps(obj, default=self.default).decode()

    def response(self, *args: Any, **kwargs: Any) -> Any:
        obj = self._prepare_response_obj(args, kwargs)
        return self._app.response_class(orjson.dumps(obj, default=self.default), mimetype=self.mimetype)


class UnsortedProvider(Utf8JsonProvider):
    sort_keys = False


class OrjsonPacket(PacketJson):
    @staticmethod
    def dumps(obj: Any, **kwargs: Any) -> str:
        return orjson.dumps(obj).decode()


def timed(fn: Any, n: int) -> float:
    t0 = time.process_time()
    for _ in range(n):
        fn()
    return (time.process_time() - t0) / n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--per-round", type=int, default=40)
    args = parser.parse_args()
    data_dir = Path(tempfile.mkdtemp(prefix="json-bench-"))
    prepare_data_dir(data_dir)
    settings = load_settings(data_dir, env={}, overrides={"SECRET_KEY": load_or_create_secret(data_dir)})
    app = create_app(settings)
    svc = get_services(app)
    kim = create_user(svc, "kim", PASSWORD, "김철수")
    lee = create_user(svc, "lee", PASSWORD, "이영희")
    with svc.db.begin() as conn:
        room_id = rooms_store.create_room(conn, "group", "개발팀", "", None, created_by=kim.id)
        rooms_store.add_members(conn, room_id, [kim.id, lee.id])
    for i in range(60):
        messages_service.send(svc, kim.id if i % 2 else lee.id, room_id,
                              f"{i}번째 메시지: 내일 오후 3시 회의실에서 주간 회의 합니다. 자료는 공유 폴더에 있어요 @lee")
    client = app.test_client()
    r = client.post("/api/login", json={"username": "kim", "password": PASSWORD})
    assert r.status_code == 200, r.get_data(as_text=True)
    url = f"/api/rooms/{room_id}/messages?limit=50"
    body = client.get(url).get_json()
    message = body["messages"][0]

    def encode_with(json_module: Any) -> Any:
        def run() -> None:
            pkt = packet.Packet(packet.EVENT, data=["new_message", {"message": message}], namespace="/")
            pkt.json = json_module
            pkt.encode()
        return run

    def history_with(provider: Any) -> Any:
        def run() -> None:
            app.json = provider
            assert client.get(url).status_code == 200
        return run

    stock, unsorted, fast = Utf8JsonProvider(app), UnsortedProvider(app), OrjsonProvider(app)
    results: dict[str, list[float]] = {k: [] for k in ("sio json", "sio orjson", "http json", "http unsorted",
                                                       "http orjson")}
    for _ in range(args.rounds):
        results["sio json"].append(timed(encode_with(PacketJson), args.per_round * 20))
        results["sio orjson"].append(timed(encode_with(OrjsonPacket), args.per_round * 20))
        results["http json"].append(timed(history_with(stock), args.per_round))
        results["http orjson"].append(timed(history_with(fast), args.per_round))
        results["http unsorted"].append(timed(history_with(unsorted), args.per_round))
    med = {k: statistics.median(v) * 1e6 for k, v in results.items()}
    print(f"new_message packet ({len(orjson.dumps(message))} bytes of message object), CPU µs per encode: "
          f"json {med['sio json']:.1f}, orjson {med['sio orjson']:.1f} (saves {med['sio json'] - med['sio orjson']:.1f} µs "
          f"per message, encoded once for all recipients)")
    print(f"GET 50 messages through the app ({len(client.get(url).data)} bytes), CPU µs per request: "
          f"json {med['http json']:.0f}, json without sort_keys {med['http unsorted']:.0f} "
          f"({(med['http json'] - med['http unsorted']) / med['http json']:.1%} less), orjson {med['http orjson']:.0f} "
          f"({(med['http json'] - med['http orjson']) / med['http json']:.1%} less)")
    svc.db.dispose()


if __name__ == "__main__":
    main()
