"""Validate JSON objects from HTTP bodies and Socket.IO payloads against a small field spec.

Missing JSON → ``invalid_json``; a required field absent → ``missing_field``; a wrong type or value
→ ``invalid_field``; a field the endpoint does not know → ``unknown_field``. All are 400.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from messenger.core.errors import ApiError
from messenger.storage.db import parse_iso

MAX_ID = 2**31 - 1  # ids and integers from clients beyond this are refused before reaching SQL


@dataclass(frozen=True)
class Field:
    kind: type | tuple[type, ...] | str  # str, int, bool, list, dict, or "datetime"
    required: bool = False
    max_len: int | None = None
    min_len: int | None = None
    minimum: int | None = None
    maximum: int | None = None
    choices: tuple[Any, ...] | None = None
    item_kind: type | None = None  # for lists
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


def _invalid(name: str, why: str) -> ApiError:
    return ApiError(400, "invalid_field", f"Field '{name}' {why}", f"'{name}' 항목이 올바르지 않습니다: {why}")


def parse(payload: Any, spec: dict[str, Field], allow_unknown: bool = False) -> dict[str, Any]:
    """Check ``payload`` against ``spec``; return a dict holding the known fields that were given."""
    if not isinstance(payload, dict):
        raise ApiError(400, "invalid_json", "Request body must be a JSON object")
    if not allow_unknown:
        unknown = sorted(set(payload) - set(spec))
        if unknown:
            raise ApiError(400, "unknown_field", f"Unknown field(s): {', '.join(map(str, unknown))[:200]}",
                           f"알 수 없는 항목: {', '.join(map(str, unknown))[:200]}")
    out: dict[str, Any] = {}
    for name, field in spec.items():
        if name not in payload:
            if field.required:
                raise ApiError(400, "missing_field", f"Missing field: {name}", f"필수 항목이 빠졌습니다: {name}")
            continue
        value = payload[name]
        if value is None:
            if field.nullable:
                out[name] = None
                continue
            if field.required:
                raise ApiError(400, "missing_field", f"Missing field: {name}", f"필수 항목이 빠졌습니다: {name}")
            continue
        out[name] = _check_value(name, field, value)
    return out


def _check_value(name: str, field: Field, value: Any) -> Any:
    if field.kind == "datetime":
        if not isinstance(value, str):
            raise _invalid(name, "must be an ISO 8601 date-time string")
        try:
            value = parse_iso(value)
        except ValueError:
            raise _invalid(name, "must be an ISO 8601 date-time string") from None
        return value
    if not _type_ok(field.kind, value):
        kind_name = getattr(field.kind, "__name__", str(field.kind))
        raise _invalid(name, f"must be of type {kind_name}")
    if isinstance(value, str):
        if field.strip:
            value = value.strip()
        if "\x00" in value:
            raise _invalid(name, "must not contain NUL characters")
        if field.min_len is not None and len(value) < field.min_len:
            raise _invalid(name, f"must be at least {field.min_len} characters")
        if field.max_len is not None and len(value) > field.max_len:
            raise _invalid(name, f"must be at most {field.max_len} characters")
    if isinstance(value, int) and not isinstance(value, bool):
        if abs(value) > MAX_ID and (field.maximum is None or field.maximum <= MAX_ID):
            raise _invalid(name, f"must be between -{MAX_ID} and {MAX_ID}")
        if field.minimum is not None and value < field.minimum:
            raise _invalid(name, f"must be >= {field.minimum}")
        if field.maximum is not None and value > field.maximum:
            raise _invalid(name, f"must be <= {field.maximum}")
    if isinstance(value, list):
        if field.min_len is not None and len(value) < field.min_len:
            raise _invalid(name, f"must have at least {field.min_len} items")
        if field.max_len is not None and len(value) > field.max_len:
            raise _invalid(name, f"must have at most {field.max_len} items")
        if field.item_kind is not None and not all(_type_ok(field.item_kind, v) for v in value):
            raise _invalid(name, f"items must be of type {field.item_kind.__name__}")
    if field.choices is not None and value not in field.choices:
        raise _invalid(name, f"must be one of {', '.join(map(str, field.choices))}")
    if field.check is not None and not field.check(value):
        raise _invalid(name, "has an invalid value")
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
        raise _invalid(name, "must be an integer") from None
    if abs(value) > MAX_ID:
        raise _invalid(name, f"must be between -{MAX_ID} and {MAX_ID}")
    if minimum is not None and value < minimum:
        raise _invalid(name, f"must be >= {minimum}")
    if maximum is not None and value > maximum:
        raise _invalid(name, f"must be <= {maximum}")
    return value


def date_arg(args: Any, name: str) -> dt.datetime | None:
    raw = args.get(name)
    if not raw:
        return None
    try:
        return parse_iso(raw)
    except ValueError:
        raise _invalid(name, "must be an ISO 8601 date or date-time") from None
