"""The answer shape of an audit entry, for the server's log (admin/service.py) and a room's (rooms/audit.py):
both serialisers build these dicts; the models document them (build/openapi.py)."""

from __future__ import annotations

from typing import Any

from messenger.core.models import Reply


class AuditPerson(Reply):
    """Who acted or was acted on; the names are ``null`` once the account is gone from the database."""

    id: int
    username: str | None
    display_name: str | None


class AuditEntry(Reply):
    """One entry, newest first. ``details``: the action's language-free parameters. The server's log also
    carries ``room_id`` and ``client_ip``."""

    id: int
    action: str
    actor: AuditPerson | None
    target_user: AuditPerson | None
    target_id: str | None
    details: dict[str, Any]
    created_at: str
    room_id: int | None = None
    client_ip: str | None = None
