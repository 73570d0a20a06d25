"""Checks of client input that no request model expresses (the models are in ``core.models``).

Before any model is applied, :func:`check_json_value` looks at the whole decoded value once, for HTTP
bodies (``core.http.json_body``) and Socket.IO payloads (``realtime``) alike: nesting deeper than
``MAX_DEPTH`` → ``invalid_json``; a string (value or key) that is not valid Unicode, such as a lone
surrogate from a ``"\ud800"`` escape → ``invalid_text``; an integer beyond ``±MAX_ID`` anywhere, list
items included → ``invalid_field``.
"""

from __future__ import annotations

import json
from typing import Any

from messenger.core.errors import ApiError

MAX_ID = 2**31 - 1  # ids and integers from clients beyond this are refused before reaching SQL
MAX_DEPTH = 16  # nesting of arrays/objects in a client payload (the deepest request needs 3)


class DeepJson:
    """Stands for a JSON document nested too deeply to decode (the decoder hit Python's recursion
    limit); :func:`check_json_value` answers it with ``invalid_json``."""


def loads(text: str | bytes) -> Any:
    """``json.loads`` that never raises RecursionError: a too deeply nested document → :class:`DeepJson`.
    Other malformed input raises ``ValueError`` as usual."""
    try:
        return json.loads(text)
    except RecursionError:
        return DeepJson()


def _too_deep() -> ApiError:
    return ApiError(400, "invalid_json", f"JSON nested more than {MAX_DEPTH} levels deep",
                    {"reason": "depth", "max": MAX_DEPTH})


def _bad_text(where: str) -> ApiError:
    return ApiError(400, "invalid_text", f"Text in '{where}' is not valid Unicode (lone surrogate)", {"field": where})


def _valid_unicode(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def check_json_value(value: Any) -> None:
    """Refuse what no field may hold, anywhere in a decoded client payload (see the module docstring).

    Iterative, so a deep document cannot exhaust the stack here either."""
    if isinstance(value, DeepJson):
        raise _too_deep()
    stack: list[tuple[Any, int, str]] = [(value, 1, "")]
    while stack:
        item, depth, where = stack.pop()
        if isinstance(item, str):
            if not _valid_unicode(item):
                raise _bad_text(where or "body")
        elif isinstance(item, bool) or item is None or isinstance(item, float):
            continue
        elif isinstance(item, int):
            if abs(item) > MAX_ID:
                raise _invalid(where or "body", "range", f"must be between -{MAX_ID} and {MAX_ID}", min=-MAX_ID, max=MAX_ID)
        elif isinstance(item, (list, dict)):
            if depth > MAX_DEPTH:
                raise _too_deep()
            if isinstance(item, dict):
                for key, sub in item.items():
                    if not _valid_unicode(str(key)):
                        raise _bad_text("key")
                    stack.append((sub, depth + 1, where or str(key)[:40]))
            else:
                stack.extend((sub, depth + 1, where) for sub in item)


def _invalid(name: str, reason: str, why: str, **params: Any) -> ApiError:
    """400 ``invalid_field`` with ``params`` {field, reason, ...}: the client words it from ``reason``."""
    return ApiError(400, "invalid_field", f"Field '{name}' {why}", {"field": name, "reason": reason, **params})
