"""Reactions: a member toggles an emoji on a message; ``reaction_updated`` to the room after the commit.

An emoji is validated as what a keyboard's emoji picker produces: one to a few emoji code points
(with ZWJ sequences, skin tones, variation selectors, keycaps and flags) — never ordinary text.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from sqlalchemy.exc import IntegrityError

from messenger.core.context import Services
from messenger.core.errors import ApiError
from messenger.messages import store
from messenger.messages.serialize import group_reactions
from messenger.rooms.access import queue_to_members, require_member

MAX_EMOJI_CODEPOINTS = 16
MAX_REACTIONS_PER_USER = 20

_PICTOGRAPHIC = (
    (0x1F000, 0x1FAFF),  # symbols, pictographs, emoticons, transport, supplemental
    (0x2600, 0x27BF),  # misc symbols, dingbats
    (0x2300, 0x23FF),  # misc technical (⌚ ⏰ …)
    (0x2B00, 0x2BFF),  # arrows, ⭐ ⭕
    (0x2190, 0x21FF),  # arrows
    (0x25A0, 0x25FF),  # geometric shapes
    (0x2934, 0x2935), (0x3030, 0x3030), (0x303D, 0x303D), (0x3297, 0x3297), (0x3299, 0x3299),
    (0x00A9, 0x00A9), (0x00AE, 0x00AE), (0x203C, 0x203C), (0x2049, 0x2049), (0x2122, 0x2122),
    (0x2139, 0x2139), (0x24C2, 0x24C2),
)
_JOINERS = {0x200D, 0xFE0F, 0xFE0E, 0x20E3}  # ZWJ, variation selectors, combining keycap
_TAGS = (0xE0020, 0xE007F)  # subdivision flags (🏴 + tags)
_KEYCAP_BASES = set("0123456789#*")


def _pictographic(cp: int) -> bool:
    return any(lo <= cp <= hi for lo, hi in _PICTOGRAPHIC)


def valid_emoji(text: Any) -> str:
    """The emoji normalised (NFC), or 400 ``invalid_emoji``."""
    bad = ApiError(400, "invalid_emoji", "Field 'emoji' must be an emoji")
    if not isinstance(text, str):
        raise bad
    emoji = unicodedata.normalize("NFC", text.strip())
    if not emoji or len(emoji) > MAX_EMOJI_CODEPOINTS:
        raise bad
    has_picture = False
    for i, ch in enumerate(emoji):
        cp = ord(ch)
        if _pictographic(cp):
            has_picture = True
        elif cp in _JOINERS or _TAGS[0] <= cp <= _TAGS[1]:
            continue
        elif ch in _KEYCAP_BASES and emoji[i + 1:i + 3] in ("\ufe0f\u20e3", "\u20e3"):
            has_picture = True
        else:
            raise bad
    if not has_picture:
        raise bad
    return emoji


def toggle(svc: Services, user_id: int, message_id: int, emoji: str) -> dict[str, Any]:
    """Add the caller's reaction, or remove it when present. Returns ``{message_id, room_id, reactions}``."""
    emoji = valid_emoji(emoji)
    for _attempt in range(2):
        try:
            with svc.db.begin() as conn:
                row = store.get_message(conn, message_id)
                if row is None:
                    raise ApiError(404, "not_found", "Message not found", {"reason": "message"})
                require_member(conn, int(row.room_id), user_id)
                if row.deleted_at is not None or row.type == "system":
                    raise ApiError(400, "not_reactable", "This message cannot take reactions")
                if store.has_reaction(conn, message_id, user_id, emoji):
                    store.remove_reaction(conn, message_id, user_id, emoji)
                else:
                    if store.count_user_reactions(conn, message_id, user_id) >= MAX_REACTIONS_PER_USER:
                        raise ApiError(400, "too_many_reactions", "Too many reactions on this message")
                    store.add_reaction(conn, message_id, user_id, emoji)
                reactions = group_reactions(store.reactions_for(conn, [message_id])).get(message_id, [])
                payload = {"message_id": message_id, "room_id": int(row.room_id), "reactions": reactions}
                queue_to_members(svc, conn, "reaction_updated", payload, int(row.room_id))
            break
        except IntegrityError:  # a double click raced itself; read the outcome again
            continue
    else:
        raise ApiError(409, "conflict", "Please try again")
    return payload
