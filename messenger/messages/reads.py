"""Read receipts: per message, how many have read it and how many have not, from the read markers.

A member's read marker (``room_members.last_read_message_id``) says they read everything up to it, so
the counts of a whole page come from the room's markers, read in ONE statement
(:func:`messenger.messages.store.read_markers`), and a little arithmetic per message:

- ``read_count``: members other than the sender whose marker is at or after the message;
- ``unread_count``: members other than the sender, with an active account, who were members when the
  message was sent (``joined_at``), and whose marker is before it.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from typing import Any, NamedTuple

# How SQLAlchemy stores a DateTime on SQLite (always with microseconds): the text a hot statement returns,
# which orders like the time itself.
SQLITE_DATETIME = "%Y-%m-%d %H:%M:%S.%f"


class Member(NamedTuple):
    user_id: int
    last_read: int
    joined_at: Any  # datetime, or SQLite's stored text of it (same order)
    active: bool


class RoomReads:
    """The read markers of one room, arranged so a message's counts cost O(log n) (plus the members who
    joined after it, normally none)."""

    def __init__(self, rows: Sequence[tuple[Any, ...]] = ()) -> None:
        self.members: dict[int, Member] = {
            int(r[1]): Member(int(r[1]), int(r[2]), r[3], bool(r[4])) for r in rows}
        members = self.members.values()
        self.all_marks = sorted(m.last_read for m in members)  # every member's marker
        active = [m for m in members if m.active]
        self.active_marks = sorted(m.last_read for m in active)
        self.newest_first = sorted(active, key=lambda m: m.joined_at, reverse=True)
        self.text_times = any(isinstance(m.joined_at, str) for m in members)

    def _when(self, created_at: dt.datetime) -> Any:
        return created_at.strftime(SQLITE_DATETIME) if self.text_times else created_at

    def counts(self, message_id: int, sender_id: int | None, created_at: dt.datetime) -> tuple[int, int]:
        """``(read_count, unread_count)`` of one message."""
        read = len(self.all_marks) - bisect.bisect_left(self.all_marks, message_id)
        unread = bisect.bisect_left(self.active_marks, message_id)  # active members whose marker is before it
        when = None
        sender = self.members.get(sender_id) if sender_id is not None else None
        if sender is not None:
            if sender.last_read >= message_id:
                read -= 1
            elif sender.active and sender.joined_at <= (when := self._when(created_at)):
                unread -= 1
        if self.newest_first and self.newest_first[0].joined_at > (when := when or self._when(created_at)):
            for m in self.newest_first:  # not members when it was sent: not waiting for them
                if m.joined_at <= when:
                    break
                if m.last_read < message_id and m.user_id != sender_id:
                    unread -= 1
        return read, unread

    def eligible(self, sender_id: int | None, created_at: dt.datetime) -> list[Member]:
        """The members whose reading a message counts: not the sender, active, members when it was sent."""
        when = self._when(created_at)
        return [m for m in self.members.values() if m.user_id != sender_id and m.active and m.joined_at <= when]


def by_room(rows: list[tuple[Any, ...]]) -> dict[int, RoomReads]:
    """``{room_id: RoomReads}`` from :func:`messenger.messages.store.read_markers` rows."""
    grouped: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
    for r in rows:
        grouped[int(r[0])].append(r)
    return {room_id: RoomReads(members) for room_id, members in grouped.items()}
