"""Validate JSON objects from HTTP bodies and Socket.IO payloads against a small field spec.

Missing JSON → ``invalid_json``; a required field absent → ``missing_field``; a wrong type or value
→ ``invalid_field``; a field the endpoint does not know → ``unknown_field``. All are 400.

Before any spec is applied, :func:`check_json_value` looks at the whole decoded value once, for HTTP
bodies (``core.http.json_body``) and Socket.IO payloads (``realtime``) alike: nesting deeper than
``MAX_DEPTH`` → ``invalid_json``; a string (value or key) that is not valid Unicode, such as a lone
surrogate from a ``"\ud800"`` escape → ``invalid_text``; an integer beyond ``±MAX_ID`` anywhere, list
items included → ``invalid_field``.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from messenger.core.errors import ApiError
from messenger.storage.db import parse_iso

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


@dataclass(frozen=True)
class Field:
    kind: type | tuple[type, ...] | str  # str, int, bool, list, dict, or "datetime"
    required: bool = False
    max_len: int | None = None
    min_len: int | None = None
    minimum: int | None = None
    maximum: int | None = None
    choices: tuple[Any, ...] | None = None
    item_kind: type | None = None  # for lists (minimum/maximum then bound each int item)
    nullable: bool = False
    strip: bool = True
    check: Callable[[Any], bool] | None = None


def _type_ok(kind: Any, value: Any) -> bool:
    if kind is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if kind is bool:
        return isinstance(value, bool)
    if kind is str:
        return isinstance(value, str)
    if kind is list:
        return isinstance(value, list)
    if kind is dict:
        return isinstance(value, dict)
    return isinstance(value, kind)


def _invalid(name: str, reason: str, why: str, **params: Any) -> ApiError:
    """400 ``invalid_field`` with ``params`` {field, reason, ...}: the client words it from ``reason``."""
    return ApiError(400, "invalid_field", f"Field '{name}' {why}", {"field": name, "reason": reason, **params})


def parse(payload: Any, spec: dict[str, Field], allow_unknown: bool = False) -> dict[str, Any]:
    """Check ``payload`` against ``spec``; return a dict holding the known fields that were given."""
    if not isinstance(payload, dict):
        raise ApiError(400, "invalid_json", "Request body must be a JSON object")
    if not allow_unknown:
        unknown = sorted(set(payload) - set(spec))
        if unknown:
            names = ", ".join(map(str, unknown))[:200]
            raise ApiError(400, "unknown_field", f"Unknown field(s): {names}", {"fields": names})
    out: dict[str, Any] = {}
    for name, field in spec.items():
        if name not in payload:
            if field.required:
                raise ApiError(400, "missing_field", f"Missing field: {name}", {"field": name})
            continue
        value = payload[name]
        if value is None:
            if field.nullable:
                out[name] = None
                continue
            if field.required:
                raise ApiError(400, "missing_field", f"Missing field: {name}", {"field": name})
            continue
        out[name] = _check_value(name, field, value)
    return out


def _check_value(name: str, field: Field, value: Any) -> Any:
    if field.kind == "datetime":
        if not isinstance(value, str):
            raise _invalid(name, "datetime", "must be an ISO 8601 date-time string")
        try:
            value = parse_iso(value)
        except ValueError:
            raise _invalid(name, "datetime", "must be an ISO 8601 date-time string") from None
        return value
    if not _type_ok(field.kind, value):
        kind_name = getattr(field.kind, "__name__", str(field.kind))
        raise _invalid(name, "type", f"must be of type {kind_name}", type=kind_name)
    if isinstance(value, str):
        if field.strip:
            value = value.strip()
        if "\x00" in value:
            raise _invalid(name, "nul", "must not contain NUL characters")
        if field.min_len is not None and len(value) < field.min_len:
            raise _invalid(name, "min_len", f"must be at least {field.min_len} characters", min=field.min_len)
        if field.max_len is not None and len(value) > field.max_len:
            raise _invalid(name, "max_len", f"must be at most {field.max_len} characters", max=field.max_len)
    if isinstance(value, int) and not isinstance(value, bool):
        if abs(value) > MAX_ID and (field.maximum is None or field.maximum <= MAX_ID):
            raise _invalid(name, "range", f"must be between -{MAX_ID} and {MAX_ID}", min=-MAX_ID, max=MAX_ID)
        if field.minimum is not None and value < field.minimum:
            raise _invalid(name, "minimum", f"must be >= {field.minimum}", min=field.minimum)
        if field.maximum is not None and value > field.maximum:
            raise _invalid(name, "maximum", f"must be <= {field.maximum}", max=field.maximum)
    if isinstance(value, list):
        if field.min_len is not None and len(value) < field.min_len:
            raise _invalid(name, "min_items", f"must have at least {field.min_len} items", min=field.min_len)
        if field.max_len is not None and len(value) > field.max_len:
            raise _invalid(name, "max_items", f"must have at most {field.max_len} items", max=field.max_len)
        if field.item_kind is not None and not all(_type_ok(field.item_kind, v) for v in value):
            raise _invalid(name, "item_type", f"items must be of type {field.item_kind.__name__}",
                           type=field.item_kind.__name__)
        for item in value:
            if isinstance(item, int) and not isinstance(item, bool):
                low = -MAX_ID if field.minimum is None else field.minimum
                high = MAX_ID if field.maximum is None else min(field.maximum, MAX_ID)
                if not low <= item <= high:
                    raise _invalid(name, "item_range", f"items must be from {low} to {high}", min=low, max=high)
            elif isinstance(item, str) and "\x00" in item:
                raise _invalid(name, "nul", "must not contain NUL characters")
    if field.choices is not None and value not in field.choices:
        choices = ", ".join(map(str, field.choices))
        raise _invalid(name, "choices", f"must be one of {choices}", choices=choices)
    if field.check is not None and not field.check(value):
        raise _invalid(name, "invalid", "has an invalid value")
    return value


def int_arg(args: Any, name: str, default: int | None = None, minimum: int | None = None,
            maximum: int | None = None) -> int | None:
    """An integer from query-string ``args``; a bad value is 400 ``invalid_field``."""
    raw = args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise _invalid(name, "type", "must be an integer", type="int") from None
    if abs(value) > MAX_ID:
        raise _invalid(name, "range", f"must be between -{MAX_ID} and {MAX_ID}", min=-MAX_ID, max=MAX_ID)
    if minimum is not None and value < minimum:
        raise _invalid(name, "minimum", f"must be >= {minimum}", min=minimum)
    if maximum is not None and value > maximum:
        raise _invalid(name, "maximum", f"must be <= {maximum}", max=maximum)
    return value


def date_arg(args: Any, name: str) -> dt.datetime | None:
    raw = args.get(name)
    if not raw:
        return None
    try:
        return parse_iso(raw)
    except ValueError:
        raise _invalid(name, "date", "must be an ISO 8601 date or date-time") from None
