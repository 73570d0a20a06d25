"""User preferences: defaults, validation and the effective values other features read.

A preference the user never set is NULL in ``user_preferences`` and reads as its default here, so a
default can change later without rewriting rows. ``language`` has no default on the server: ``None``
means the user has not chosen, and the web client keeps its own (browser) choice until they do.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import zoneinfo
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any

from sqlalchemy import Connection

from messenger.core.models import Body, OneOf, Valid
from messenger.preferences import store
from messenger.storage.db import on_commit

if TYPE_CHECKING:
    from messenger.core.context import Services
    from messenger.realtime import SocketUser

LANGUAGES = ("ko", "en")
DEFAULT_LANGUAGE = "ko"  # what the server speaks to a user who has not chosen (Korean first)
DEFAULT_TIME_ZONE = "Asia/Seoul"  # Korean-first product; a user elsewhere sets their own zone
_HHMM = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$")


@functools.lru_cache(maxsize=1)
def _zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def valid_time_zone(name: Any) -> bool:
    """An IANA zone name this machine knows (``zoneinfo``; the ``tzdata`` package on Windows)."""
    return isinstance(name, str) and name in _zones()


def valid_hhmm(value: Any) -> bool:
    return isinstance(value, str) and bool(_HHMM.match(value))


@dataclass(frozen=True)
class Preferences:
    language: str | None = None
    sound: bool = True
    quiet_enabled: bool = False
    quiet_start: str = "19:00"
    quiet_end: str = "08:00"
    quiet_weekends: bool = True
    time_zone: str = DEFAULT_TIME_ZONE

    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)

    def in_quiet_hours(self, now: dt.datetime) -> bool:
        """Whether ``now`` (aware, or naive UTC) falls in the user's quiet hours, in their time zone.

        The window runs from ``quiet_start`` up to (not including) ``quiet_end`` and may cross midnight;
        equal start and end mean the whole day. With ``quiet_weekends``, Saturday and Sunday are quiet
        all day. Disabled quiet hours are never quiet."""
        if not self.quiet_enabled:
            return False
        if now.tzinfo is None:
            now = now.replace(tzinfo=dt.UTC)
        local = now.astimezone(self.zone())
        if self.quiet_weekends and local.weekday() >= 5:
            return True
        t = local.strftime("%H:%M")
        start, end = self.quiet_start, self.quiet_end
        if start == end:
            return True
        if start < end:
            return start <= t < end
        return t >= start or t < end

    def as_dict(self) -> dict[str, Any]:
        return {
            "language": self.language,
            "sound": self.sound,
            "quiet_hours": {"enabled": self.quiet_enabled, "start": self.quiet_start, "end": self.quiet_end,
                            "weekends": self.quiet_weekends},
            "time_zone": self.time_zone,
        }


DEFAULTS = Preferences()


def from_row(row: Any) -> Preferences:
    """The effective preferences of a stored row (None → all defaults)."""
    if row is None:
        return DEFAULTS
    values: dict[str, Any] = {}
    for name in store.COLUMNS:
        value = getattr(row, name)
        if value is not None:
            values[name] = bool(value) if isinstance(getattr(DEFAULTS, name), bool) else value
    if values.get("time_zone") and not valid_time_zone(values["time_zone"]):
        values.pop("time_zone")  # a zone this machine no longer knows: the default, not an error
    return Preferences(**values)


def get(conn: Connection, user_id: int) -> Preferences:
    return from_row(store.get(conn, user_id))


def get_many(conn: Connection, user_ids: list[int]) -> dict[int, Preferences]:
    """Effective preferences of each user id (defaults for users who set nothing)."""
    rows = store.get_many(conn, list(user_ids))
    return {uid: from_row(rows.get(uid)) for uid in user_ids}


def load(svc: Services, user_id: int) -> Preferences:
    with svc.db.read() as conn:
        return get(conn, user_id)


class QuietHours(Body):
    enabled: bool | None = None
    start: Annotated[str, Valid(valid_hhmm, max_len=5)] | None = None
    end: Annotated[str, Valid(valid_hhmm, max_len=5)] | None = None
    weekends: bool | None = None


class Patch(Body):
    NULLABLE = frozenset({"language"})
    language: Annotated[str, OneOf(*LANGUAGES)] | None = None
    sound: bool | None = None
    quiet_hours: QuietHours | None = None
    time_zone: Annotated[str, Valid(valid_time_zone, max_len=64)] | None = None


def columns_from_patch(body: dict[str, Any]) -> dict[str, Any]:
    """Store columns from a checked PATCH body (``quiet_hours`` may carry any subset of its keys)."""
    out: dict[str, Any] = {}
    if "language" in body:
        out["language"] = body["language"]
    if "sound" in body:
        out["sound"] = body["sound"]
    if "time_zone" in body:
        out["time_zone"] = body["time_zone"]
    if "quiet_hours" in body:
        for key, value in body["quiet_hours"].items():
            out[f"quiet_{key}"] = value
    return out


def update(svc: Services, user_id: int, body: dict[str, Any]) -> Preferences:
    """Apply a PATCH body (already checked against :class:`Patch`) and return the effective values."""
    values = columns_from_patch(body)
    with svc.db.begin() as conn:
        if values:
            store.upsert(conn, user_id, values)
        prefs = get(conn, user_id)
        # After the commit: this node's sockets of the user answer in the new language, and every tab
        # of the user (on any node) hears the new preferences.
        on_commit(conn, lambda: _use_language(svc, user_id, prefs.language or DEFAULT_LANGUAGE))
        svc.realtime.queue_to_user(conn, "preferences", {"preferences": prefs.as_dict()}, user_id)
    return prefs


def _use_language(svc: Services, user_id: int, language: str) -> None:
    for sock in svc.realtime.sockets_of(user_id):
        sock.lang = language


def socket_language(svc: Services, user: SocketUser) -> str:
    """The language a socket answers in: the user's stored preference (never the browser's
    Accept-Language), read on first use and then kept current by :func:`update`."""
    if user.lang is None:
        user.lang = load(svc, user.user_id).language or DEFAULT_LANGUAGE
    return user.lang
