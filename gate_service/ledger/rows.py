"""A request record as its ``request_log`` row, and back: derived from the record's fields.

Each field is the column of the same name (``storage.models.RequestLog`` declares their SQL
types and lengths; ``tests/ledger/test_record.py`` holds its columns to the record's
fields). How a value is written and read follows the field's type, once per type:

- text is cut to its column's length and stripped of NUL characters, since PostgreSQL
  refuses both (SQLite would not, so tests on SQLite alone would miss it);
- integers are clamped to 32 bits (PostgreSQL's ``integer``), floats and flags made plain;
- the fallback chain and the attempts are JSON text (migration 0005 moved the attempts
  here from a table of their own: one random-key index less per row written);
- times are aware UTC.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields
from operator import attrgetter
from typing import Any

import orjson
from sqlalchemy import Table

from gate_service.ledger.record import ATTEMPT_FIELDS, FIELDS, Attempt, RequestRecord
from gate_service.ledger.timeutil import utc
from gate_service.storage.models import RequestLog

REQUESTS: Table = RequestLog.__table__  # type: ignore[attr-defined]

# The length limit of each bounded text column.
_LENGTHS: dict[str, int] = {
    c.name: n for c in REQUESTS.columns if isinstance(n := getattr(c.type, "length", None), int)
}
# How long each text field of an attempt may be, in ``request_log.attempts``.
_ATTEMPT_LENGTHS = {
    "provider": 64,
    "model": 300,
    "key": 32,
    "outcome": 16,
    "error_code": 64,
    "error_message": 300,
}
_INT_MAX = 2**31 - 1
REQUEST_ID_LENGTH = _LENGTHS["id"]
"""Longer request ids (a client's X-Request-Id may be) are stored cut to this."""
_attempt_values = attrgetter(*ATTEMPT_FIELDS)


def clean(value: str | None, limit: int | None) -> str | None:
    """Text a column takes: no NUL, at most ``limit`` characters."""
    if not value:
        return value
    if "\x00" in value:
        value = value.replace("\x00", "")
    return value[:limit] if limit is not None and len(value) > limit else value


def clamp(value: int) -> int:
    """An integer column's value: PostgreSQL's ``integer`` refuses more than 32 bits, SQLite
    more than 64 (as a Python error, not the database's); an upstream's absurd count must
    not cost the row."""
    return max(min(int(value), _INT_MAX), -_INT_MAX - 1)


def _kinds(cls: type) -> dict[str, str]:
    """Each field of a dataclass and its annotation (``"str | None"``), in order."""
    return {f.name: str(f.type) for f in fields(cls)}


_ATTEMPT_KINDS = _kinds(Attempt)
_ATTEMPT_TEXT = tuple((n, _ATTEMPT_LENGTHS[n]) for n, k in _ATTEMPT_KINDS.items() if k == "str")
_ATTEMPT_INTS = tuple(n for n, k in _ATTEMPT_KINDS.items() if k == "int")
_ATTEMPT_FLOATS = tuple(n for n, k in _ATTEMPT_KINDS.items() if k == "float")
_KINDS = _kinds(RequestRecord)


def _named(*kinds: str) -> tuple[str, ...]:
    return tuple(name for name, kind in _KINDS.items() if kind in kinds)


# The record's fields by how they are stored (grouped, not a function per field: the
# writer converts rows in bulk, and per-field calls doubled the cost of a row).
_TEXT = tuple((name, _LENGTHS.get(name)) for name in _named("str", "str | None", "RequestKind"))
_INTS = _named("int")
_FLOATS = _named("float")
_OPTIONAL_FLOATS = _named("float | None")
_FLAGS = _named("bool")
_CHAINS = _named("tuple[str, ...]")
_ATTEMPT_LISTS = _named("tuple[Attempt, ...]")
_TIMES = _named("datetime")
_STORED = {n for n, _ in _TEXT}.union(
    _INTS, _FLOATS, _OPTIONAL_FLOATS, _FLAGS, _CHAINS, _ATTEMPT_LISTS, _TIMES
)
if set(FIELDS) != _STORED:  # a field of a type this module cannot store: say so at once
    raise TypeError(f"request_log cannot store RequestRecord fields {set(FIELDS) - _STORED}")
_record_values = attrgetter(*FIELDS)


def attempt_json(attempt: Attempt) -> dict[str, Any]:
    """One attempt as ``request_log.attempts`` keeps it (its fields, in order)."""
    out = dict(zip(ATTEMPT_FIELDS, _attempt_values(attempt), strict=True))
    for name, limit in _ATTEMPT_TEXT:
        out[name] = clean(out[name], limit) or ""
    for name in _ATTEMPT_INTS:
        out[name] = clamp(out[name])
    for name in _ATTEMPT_FLOATS:
        out[name] = float(out[name])
    return out


def _chain_text(chain: tuple[str, ...]) -> str:
    return orjson.dumps([c.replace("\x00", "") for c in chain]).decode()


def _attempts_text(attempts: tuple[Attempt, ...]) -> str:
    return orjson.dumps([attempt_json(a) for a in attempts]).decode()


def record_to_row(record: RequestRecord, row_id: str | None = None) -> dict[str, Any]:
    """The ``request_log`` row of a record (optionally under another id)."""
    row = dict(zip(FIELDS, _record_values(record), strict=True))
    for name, limit in _TEXT:
        row[name] = clean(row[name], limit)
    for name in _INTS:
        row[name] = clamp(row[name])
    for name in _FLOATS:
        row[name] = float(row[name])
    for name in _OPTIONAL_FLOATS:
        row[name] = None if row[name] is None else float(row[name])
    for name in _FLAGS:
        row[name] = bool(row[name])
    for name in _CHAINS:
        row[name] = _chain_text(row[name])
    for name in _ATTEMPT_LISTS:
        row[name] = _attempts_text(row[name])
    for name in _TIMES:
        row[name] = utc(row[name])
    if row_id is not None:
        row["id"] = clean(row_id, REQUEST_ID_LENGTH)
    return row


# ------------------------------------------------------------------ row -> record


def _chain(text: str | None) -> tuple[str, ...]:
    chain = orjson.loads(text or "[]")
    return tuple(str(c) for c in chain) if isinstance(chain, list) else ()


def _attempt(found: Mapping[str, Any]) -> Attempt:
    values = {name: found.get(name, "") for name, _ in _ATTEMPT_TEXT}
    for name in _ATTEMPT_INTS:
        values[name] = int(found.get(name, 0))
    for name in _ATTEMPT_FLOATS:
        values[name] = float(found.get(name, 0.0))
    return Attempt(**values)


def _attempts(text: str | None) -> tuple[Attempt, ...]:
    found = orjson.loads(text or "[]")
    if not isinstance(found, list):
        return ()
    return tuple(_attempt(a) for a in found if isinstance(a, dict))


_ALWAYS_READ = tuple(name for name in FIELDS if name not in _ATTEMPT_LISTS)


def record_from_row(row: Any) -> RequestRecord:
    """The record of a ``request_log`` row. A row read without its ``attempts`` column (a
    page of traces) gives a record without attempts."""
    m = row._mapping
    values = {name: m[name] for name in _ALWAYS_READ}
    for name in _ATTEMPT_LISTS:
        values[name] = _attempts(m[name]) if name in m else ()
    for name in _FLAGS:
        values[name] = bool(values[name])
    for name in _CHAINS:
        values[name] = _chain(values[name])
    for name in _TIMES:
        values[name] = utc(values[name])
    return RequestRecord(**values)
