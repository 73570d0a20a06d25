"""The Socket.IO request path's shortcuts: the packet class's binary scan and unrouted event contexts."""

from __future__ import annotations

from typing import Any

import pytest
from socketio import packet

from messenger.realtime import JsonOnlyPacket


class Text(str):
    pass


PAYLOADS: list[Any] = [
    None, 1, 2.5, True, "메시지", Text("x"), b"raw", bytearray(b"raw"), [], {},
    ["new_message", {"message": {"id": 1, "content": "안녕", "sender": {"id": 2, "display_name": "김"},
                                 "mentions": [3, 4], "reactions": {}, "file": None}}],
    ["upload", {"meta": {"parts": [1, {"chunk": b"\x00\x01"}]}}],
    [[[[bytearray(b"deep")]]]],
    {"ok": True, "message": {"attachments": [{"name": "a.txt", "data": b"x"}]}},
    ("a tuple is not scanned", b"by either"),
    {"set": {1, 2}, "tuple": (b"not scanned",)},
]


@pytest.mark.parametrize("data", PAYLOADS, ids=range(len(PAYLOADS)))
def test_binary_scan_answers_as_the_library_does(data: Any) -> None:
    assert JsonOnlyPacket.data_is_binary(data) is packet.Packet.data_is_binary(data)


def test_bytes_anywhere_still_make_a_binary_event() -> None:
    pkt = JsonOnlyPacket(packet.EVENT, data=["file", {"parts": [{"data": b"\x00"}]}])
    assert pkt.packet_type == packet.BINARY_EVENT
    text = JsonOnlyPacket(packet.EVENT, data=["new_message", {"message": {"content": "b'x'"}}])
    assert text.packet_type == packet.EVENT
    assert text.encode() == '2["new_message",{"message":{"content":"b\'x\'"}}]'


def test_socket_event_contexts_are_not_routed_http_requests_are(app: Any) -> None:
    with app.test_request_context("/socket.io/", query_string={"EIO": "4", "transport": "websocket"}) as ctx:
        assert ctx.url_adapter is None
    with app.test_request_context("/api/health") as ctx:
        assert ctx.url_adapter is not None
        assert ctx.request.endpoint is not None
    assert app.test_client().get("/api/health").status_code == 200
    # a path that only starts like the Socket.IO one is routed (and not found) as before
    assert app.test_client().get("/socket.iox").status_code == 404
