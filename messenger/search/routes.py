"""HTTP routes for search: messages (simple and advanced) and the caller's rooms by name."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from flask import Blueprint, Flask, jsonify
from flask.typing import ResponseReturnValue

from messenger.accounts.auth import current_auth, login_required, user_key
from messenger.core.context import Services
from messenger.core.errors import ApiError
from messenger.core.http import accepts, returns
from messenger.core.models import Body, Id, Query, Range, Reply, Text
from messenger.messages.serialize import Message
from messenger.search import service

MAX_LIMIT = 100
class SearchQuery(Query):
    q: Annotated[str, Text(strip=False)] | None = None
    room_id: Id | None = None
    limit: Annotated[int, Range(1, MAX_LIMIT)] | None = None
    offset: Annotated[int, Range(0, 100_000)] | None = None


class RoomsQuery(Query):
    q: Annotated[str, Text()] | None = None


class Advanced(Body):
    NULLABLE = frozenset({"q", "room_id", "sender_id", "date_from", "date_to", "has_file", "file_type"})
    q: Annotated[str, Text(max_len=service.MAX_QUERY)] | None = None
    room_id: Id | None = None
    sender_id: Id | None = None
    date_from: Annotated[str, Text(max_len=40)] | None = None
    date_to: Annotated[str, Text(max_len=40)] | None = None
    has_file: bool | None = None
    file_type: Annotated[str, Text(max_len=100)] | None = None
    limit: Annotated[int, Range(1, MAX_LIMIT)] | None = None
    offset: Annotated[int, Range(0, 100_000)] | None = None
    include_rooms: bool | None = None


class RoomRef(Reply):
    """A room as search names it: a direct room's name is the other person's."""

    id: int
    type: str
    name: str


class Span(Reply):
    """Where the query matched, in characters of the text: ``text[start:end]``."""

    start: int
    end: int


class SearchHit(Reply):
    message: Message
    room: RoomRef | None
    highlights: list[Span]
    file_highlights: list[Span] = []  # when the message has a file and the query has words


class SearchResults(Reply):
    """``service.search``: ``total`` is capped at ``store.TOTAL_CAP`` on PostgreSQL (``total_capped``);
    ``suggestion``: the query typed in the other keyboard layout, when that finds something and this does
    not; ``rooms``: the caller's rooms whose name matches, when asked for."""

    results: list[SearchHit]
    total: int
    total_capped: bool
    suggestion: str = ""
    rooms: list[RoomRef] = []


def _date(body: dict[str, Any], name: str) -> tuple[dt.datetime | None, bool]:
    """A date (``2026-11-23``, whole day) or date-time; returns (naive UTC datetime or None, is_day)."""
    from messenger.storage.db import parse_iso

    raw = body.get(name)
    if not raw:
        return None, False
    try:
        return parse_iso(raw), len(raw.strip()) == 10
    except ValueError:
        raise ApiError(400, "invalid_field", f"Field '{name}' must be an ISO 8601 date or date-time", {"field": name, "reason": "date"}) from None


def register(app: Flask, svc: Services) -> None:
    bp = Blueprint("search", __name__)

    @bp.get("/api/search")
    @login_required
    @accepts(query=SearchQuery)
    @returns(reply=SearchResults)
    def search_route(query: dict[str, Any]) -> ResponseReturnValue:
        q = query.get("q") or ""
        if not q.strip():
            raise ApiError(400, "missing_field", "Missing field: q", {"field": "q"})
        room_id = query.get("room_id")
        limit = query.get("limit", 20)
        offset = query.get("offset", 0)
        filters = service.build_filters(room_id=room_id)
        return jsonify(service.search(svc, current_auth().user_id, q, filters, limit, offset,
                                      with_rooms=offset == 0 and room_id is None))

    @bp.post("/api/search/advanced")
    @svc.limiter.limit(lambda: svc.settings.RATE_LIMIT_SEARCH_ADVANCED, key_func=user_key)
    @login_required
    @accepts(Advanced)
    @returns(reply=SearchResults)
    def advanced_route(body: dict[str, Any]) -> ResponseReturnValue:
        date_from, _ = _date(body, "date_from")
        date_to, to_day = _date(body, "date_to")
        filters = service.build_filters(room_id=body.get("room_id"), sender_id=body.get("sender_id"),
                                        date_from=date_from, date_to=date_to, date_to_is_day=to_day,
                                        has_file=body.get("has_file"), file_type=body.get("file_type"))
        return jsonify(service.search(svc, current_auth().user_id, body.get("q"), filters,
                                      body.get("limit", 20), body.get("offset", 0),
                                      with_rooms=bool(body.get("include_rooms"))))

    @bp.get("/api/rooms/search")
    @login_required
    @accepts(query=RoomsQuery)
    @returns(rooms=list[RoomRef])
    def rooms_route(query: dict[str, Any]) -> ResponseReturnValue:
        q = (query.get("q") or "")[:100]
        if not q:
            raise ApiError(400, "missing_field", "Missing field: q", {"field": "q"})
        return jsonify({"rooms": service.find_rooms(svc, current_auth().user_id, q)})

    app.register_blueprint(bp)
