"""HTTP routes for polls."""

from __future__ import annotations

from typing import Annotated, Any

from flask import Blueprint, Flask, jsonify
from flask.typing import ResponseReturnValue

from messenger.accounts.auth import current_auth, login_required
from messenger.core.context import Services
from messenger.core.errors import not_found
from messenger.core.http import accepts, returns
from messenger.core.models import Body, DateTime, Id, Items, Text
from messenger.messages.serialize import Message
from messenger.polls import service
from messenger.polls.serialize import Poll


class CreatePoll(Body):
    NULLABLE = frozenset({"ends_at"})
    question: Annotated[str, Text(min_len=1, max_len=500)]
    options: Annotated[list[str], Items(2, service.MAX_OPTIONS)]
    multiple_choice: bool | None = None
    anonymous: bool | None = None
    ends_at: DateTime | None = None
MAX_ID = 2**31 - 1


def check_ids(endpoint: str | None, values: dict[str, Any] | None) -> None:
    """URL ids beyond the database's integer range are unknown ids (404), never a database error."""
    for value in (values or {}).values():
        if isinstance(value, int) and value > MAX_ID:
            raise not_found()


class Vote(Body):
    option_id: Id


def register(app: Flask, svc: Services) -> None:
    bp = Blueprint("polls", __name__)
    bp.url_value_preprocessor(check_ids)

    @bp.post("/api/rooms/<int:room_id>/polls")
    @login_required
    @accepts(CreatePoll)
    @returns(201, poll=Poll, message=Message)
    def create_poll(room_id: int, body: dict[str, Any]) -> ResponseReturnValue:
        poll, message = service.create_poll(
            svc, current_auth().user_id, room_id, body["question"], body["options"],
            multiple_choice=body.get("multiple_choice", False), anonymous=body.get("anonymous", False),
            ends_at=body.get("ends_at"),
        )
        return jsonify({"poll": poll, "message": message}), 201

    @bp.get("/api/polls/<int:poll_id>")
    @login_required
    @returns(poll=Poll)
    def get_poll(poll_id: int) -> ResponseReturnValue:
        return jsonify({"poll": service.get_poll(svc, current_auth().user_id, poll_id)})

    @bp.post("/api/polls/<int:poll_id>/vote")
    @login_required
    @accepts(Vote)
    @returns(poll=Poll)
    def vote(poll_id: int, body: dict[str, Any]) -> ResponseReturnValue:
        return jsonify({"poll": service.vote(svc, current_auth().user_id, poll_id, body["option_id"])})

    @bp.post("/api/polls/<int:poll_id>/close")
    @login_required
    @returns(poll=Poll)
    def close(poll_id: int) -> ResponseReturnValue:
        return jsonify({"poll": service.close_poll(svc, current_auth().user_id, poll_id)})

    app.register_blueprint(bp)
    svc.jobs.every("close_expired_polls", 30, lambda: service.close_expired_polls(svc))
