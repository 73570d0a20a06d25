"""Request models: one pydantic v2 model per request body, shared by HTTP routes and Socket.IO events,
and the source of ``docs/openapi.yaml`` (``build/openapi.py``).

A model is a :class:`Body` whose fields use the types below. :func:`parse_model` checks a decoded
payload against it with the codes the API has always answered (all 400):

- not a JSON object → ``invalid_json``;
- a field the model does not have → ``unknown_field`` (``params.fields``);
- a required field absent (or ``null``) → ``missing_field`` (``params.field``);
- anything else wrong → ``invalid_field`` with ``params`` ``{field, reason, ...}`` (reasons: ``type``,
  ``nul``, ``min_len``, ``max_len``, ``range``, ``minimum``, ``maximum``, ``min_items``, ``max_items``,
  ``item_type``, ``item_range``, ``choices``, ``datetime``, ``invalid``; the web client words them).

``null`` for an optional field means "not given", except for the fields a model lists in ``NULLABLE``,
where ``null`` is a value. Strings are stripped unless declared ``Text(strip=False)``. The whole payload
has already passed :func:`messenger.core.validation.check_json_value` (surrogates, nesting, huge ints).
"""

from __future__ import annotations

import datetime as dt
import types
import typing
from collections.abc import Callable
from typing import Annotated, Any, ClassVar

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    ValidationError,
    model_validator,
)
from pydantic_core import PydanticCustomError, core_schema

from messenger.core.errors import ApiError
from messenger.core.validation import MAX_ID
from messenger.storage.db import parse_iso


class Body(BaseModel):
    """Base of every request model: strict JSON types, unknown fields refused."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, defer_build=True)
    NULLABLE: ClassVar[frozenset[str]] = frozenset()

    @model_validator(mode="before")
    @classmethod
    def _given_fields(cls, data: Any) -> Any:
        """Unknown fields first, then required ones; ``null`` is "not given" outside ``NULLABLE``."""
        if not isinstance(data, dict):
            return data  # pydantic answers model_type → invalid_field
        unknown = sorted(set(map(str, data)) - set(cls.model_fields))
        if unknown:
            names = ", ".join(unknown)[:200]
            raise ApiError(400, "unknown_field", f"Unknown field(s): {names}", {"fields": names})
        out: dict[str, Any] = {}
        for name, info in cls.model_fields.items():
            value = data.get(name)
            if value is None and not (name in data and name in cls.NULLABLE):
                if info.is_required():
                    raise ApiError(400, "missing_field", f"Missing field: {name}", {"field": name})
                continue
            out[name] = value
        return out


def _fail(reason: str, why: str, **params: Any) -> PydanticCustomError:
    return PydanticCustomError("invalid_field", why, {"reason": reason, **params})


class _Check:
    """Metadata for ``Annotated[T, ...]``: run :meth:`check` after pydantic's strict type check and add
    :attr:`schema` to the field's JSON schema (so the OpenAPI document shows the same limits)."""

    schema: dict[str, Any] = {}

    def check(self, value: Any) -> Any:
        return value

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        return core_schema.no_info_after_validator_function(self.check, handler(source))

    def __get_pydantic_json_schema__(self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler) -> Any:
        out = handler(schema)
        out.update(self.schema)
        return out


class Text(_Check):
    """A string (stripped unless ``strip=False``; no NUL), ``min_len``..``max_len`` characters."""

    def __init__(self, max_len: int | None = None, min_len: int | None = None, strip: bool = True) -> None:
        self.max_len, self.min_len, self.strip = max_len, min_len, strip
        self.schema = {k: v for k, v in (("maxLength", max_len), ("minLength", min_len)) if v is not None}

    def check(self, value: str) -> str:
        if self.strip:
            value = value.strip()
        if "\x00" in value:
            raise _fail("nul", "must not contain NUL characters")
        if self.min_len is not None and len(value) < self.min_len:
            raise _fail("min_len", f"must be at least {self.min_len} characters", min=self.min_len)
        if self.max_len is not None and len(value) > self.max_len:
            raise _fail("max_len", f"must be at most {self.max_len} characters", max=self.max_len)
        return value


class Range(_Check):
    """An integer (never a boolean or a float) in ``minimum``..``maximum``."""

    def __init__(self, minimum: int | None = None, maximum: int = MAX_ID) -> None:
        self.minimum, self.maximum = minimum, maximum
        self.schema = {"maximum": maximum, **({"minimum": minimum} if minimum is not None else {})}

    def check(self, value: int) -> int:
        if abs(value) > MAX_ID and self.maximum <= MAX_ID:
            raise _fail("range", f"must be between -{MAX_ID} and {MAX_ID}", min=-MAX_ID, max=MAX_ID)
        if self.minimum is not None and value < self.minimum:
            raise _fail("minimum", f"must be >= {self.minimum}", min=self.minimum)
        if value > self.maximum:
            raise _fail("maximum", f"must be <= {self.maximum}", max=self.maximum)
        return value


class OneOf(Text):
    """One of the given strings."""

    def __init__(self, *values: str) -> None:
        super().__init__()
        self.values = tuple(values)
        self.schema = {"enum": list(self.values)}

    def check(self, value: str) -> str:
        value = super().check(value)
        if value not in self.values:
            choices = ", ".join(self.values)
            raise _fail("choices", f"must be one of {choices}", choices=choices)
        return value


class Items(_Check):
    """A list of ``min_len``..``max_len`` items; integer items in ``low``..``high``, no NUL in strings."""

    def __init__(self, min_len: int | None = None, max_len: int | None = None, low: int = -MAX_ID,
                 high: int = MAX_ID) -> None:
        self.min_len, self.max_len, self.low, self.high = min_len, max_len, low, high
        self.schema = {k: v for k, v in (("minItems", min_len), ("maxItems", max_len)) if v is not None}
        if low != -MAX_ID:  # a list of ids
            self.schema["items"] = {"type": "integer", "minimum": low, "maximum": high}

    def check(self, value: list[Any]) -> list[Any]:
        if self.min_len is not None and len(value) < self.min_len:
            raise _fail("min_items", f"must have at least {self.min_len} items", min=self.min_len)
        if self.max_len is not None and len(value) > self.max_len:
            raise _fail("max_items", f"must have at most {self.max_len} items", max=self.max_len)
        for item in value:
            if isinstance(item, int) and not self.low <= item <= self.high:
                raise _fail("item_range", f"items must be from {self.low} to {self.high}", min=self.low, max=self.high)
            if isinstance(item, str) and "\x00" in item:
                raise _fail("nul", "must not contain NUL characters")
        return value


class Valid(Text):
    """A string that ``test`` accepts (after the :class:`Text` checks)."""

    def __init__(self, test: Callable[[str], bool], max_len: int | None = None) -> None:
        super().__init__(max_len=max_len)
        self.test = test

    def check(self, value: str) -> str:
        value = super().check(value)
        if not self.test(value):
            raise _fail("invalid", "has an invalid value")
        return value


def _datetime(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value
    if not isinstance(value, str):
        raise _fail("datetime", "must be an ISO 8601 date-time string")
    try:
        return parse_iso(value)
    except ValueError:
        raise _fail("datetime", "must be an ISO 8601 date-time string") from None


Id = Annotated[int, Range(1)]
IdList = Annotated[list[int], Items(low=1)]  # with length limits: Annotated[list[int], Items(1, 50, low=1)]
DateTime = Annotated[dt.datetime, BeforeValidator(_datetime)]


def _date(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value
    try:
        return parse_iso(value) if isinstance(value, str) else None
    except ValueError:
        pass
    raise _fail("date", "must be an ISO 8601 date or date-time")


Date = Annotated[dt.datetime, BeforeValidator(_date)]  # a date (``2026-11-23``) or a date-time


_TYPES = {"string_type": "str", "int_type": "int", "bool_type": "bool", "list_type": "list",
          "dict_type": "dict", "model_type": "dict", "model_attributes_type": "dict", "datetime_type": "datetime"}


def _error(err: dict[str, Any]) -> ApiError:
    loc = [part for part in err.get("loc", ()) if not isinstance(part, int)]
    item = any(isinstance(part, int) for part in err.get("loc", ()))
    name = ".".join(map(str, loc)) or "body"
    kind = err.get("type", "")
    ctx = dict(err.get("ctx") or {})
    if kind == "invalid_field":
        reason = ctx.pop("reason", "invalid")
        return ApiError(400, "invalid_field", f"Field '{name}' {err['msg']}", {"field": name, "reason": reason, **ctx})
    if kind in _TYPES:
        type_name = _TYPES[kind]
        if item:
            return ApiError(400, "invalid_field", f"Field '{name}' items must be of type {type_name}",
                            {"field": name, "reason": "item_type", "type": type_name})
        return ApiError(400, "invalid_field", f"Field '{name}' must be of type {type_name}",
                        {"field": name, "reason": "type", "type": type_name})
    return ApiError(400, "invalid_field", f"Field '{name}' has an invalid value", {"field": name, "reason": "invalid"})


def parse_model(payload: Any, model: type[Body]) -> dict[str, Any]:
    """Check ``payload`` against ``model``; the fields that were given (stripped, parsed), as a dict."""
    if not isinstance(payload, dict):
        raise ApiError(400, "invalid_json", "Request body must be a JSON object")
    try:
        checked = model.model_validate(payload)
    except ValidationError as exc:
        raise _error(dict(exc.errors()[0])) from None
    return checked.model_dump(exclude_unset=True)


def _base(annotation: Any) -> Any:
    """``int``/``bool``/``str``/... behind ``X | None`` and ``Annotated[X, ...]``."""
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    if typing.get_origin(annotation) is Annotated:
        return _base(args[0])
    if args and typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return _base(args[0])
    return annotation


class Query(Body):
    """Base of query-string models: :func:`parse_query` reads only the declared parameters."""


def parse_query(args: Any, model: type[Query]) -> dict[str, Any]:
    """The query-string parameters of ``model`` that were given (an empty value is not given; others
    are ignored), read from their text: integers as in ``?limit=50``, booleans as ``1``/``true``/``yes``."""
    raw: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        value = args.get(name)
        if value is None or value == "":
            continue
        raw[name] = _from_text(name, _base(info.annotation), value)
    return parse_model(raw, model)


def _from_text(name: str, kind: Any, value: str) -> Any:
    if kind is int:
        try:
            return int(value)
        except ValueError:
            raise ApiError(400, "invalid_field", f"Field '{name}' must be an integer",
                           {"field": name, "reason": "type", "type": "int"}) from None
    if kind is bool:
        return value.strip().lower() in ("1", "true", "yes")
    return value


def parse_form(form: Any, files: Any, model: type[Body]) -> dict[str, Any]:
    """The fields of a ``multipart/form-data`` request checked against ``model``: ``bytes`` fields are
    the uploaded files (only their presence is checked here; the view streams them from
    ``request.files``), the others are read from their text as in :func:`parse_query`."""
    raw: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        kind = _base(info.annotation)
        if kind is bytes:
            if files.get(name) is not None:
                raw[name] = b""
            continue
        value = form.get(name)
        if value is None or not value.strip():
            continue
        raw[name] = _from_text(name, kind, value.strip())
    return parse_model(raw, model)


# ---- response models ---------------------------------------------------------------------------------
class Reply(BaseModel):
    """Base of the response models: the fields an answer always carries (``X | None`` without a default:
    present, maybe ``null``) or may carry (with a default: sometimes absent). Only documentation: the
    services build plain dicts, ``build/openapi.py`` puts these shapes into docs/openapi.yaml and the
    schemathesis run (tests/reliability/test_fuzz.py) checks the server's answers against them. More
    fields may come (clients ignore what they do not know), so ``extra`` is allowed."""

    model_config = ConfigDict(extra="allow", defer_build=True)  # built only by build/openapi.py and tests
