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

from collections.abc import Callable, Mapping
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


def _attempt_writer(name: str, kind: str) -> Callable[[Any], Any]:
    if kind == "str":
        limit = _ATTEMPT_LENGTHS[name]
        return lambda value: clean(value, limit) or ""
    numbers: dict[str, Callable[[Any], Any]] = {"int": clamp, "float": float}
    return numbers[kind]


_ATTEMPT_WRITERS = tuple(_attempt_writer(f.name, str(f.type)) for f in fields(Attempt))


def attempt_json(attempt: Attempt) -> dict[str, Any]:
    """One attempt as ``request_log.attempts`` keeps it (its fields, in order)."""
    values = _attempt_values(attempt)
    return {
        name: write(value)
        for name, write, value in zip(ATTEMPT_FIELDS, _ATTEMPT_WRITERS, values, strict=True)
    }


def _chain_text(chain: tuple[str, ...]) -> str:
    return orjson.dumps([c.replace("\x00", "") for c in chain]).decode()


def _attempts_text(attempts: tuple[Attempt, ...]) -> str:
    return orjson.dumps([attempt_json(a) for a in attempts]).decode()


def _text_writer(limit: int | None) -> Callable[[Any], Any]:
    return lambda value: clean(value, limit)


def _optional_float(value: float | None) -> float | None:
    return None if value is None else float(value)


_record_values = attrgetter(*FIELDS)


def _writer(name: str, kind: str) -> Callable[[Any], Any]:
    """How a field of type ``kind`` (its annotation) becomes its column's value."""
    if kind in ("str", "str | None"):
        return _text_writer(_LENGTHS.get(name))
    by_kind: dict[str, Callable[[Any], Any]] = {
        "int": clamp,
        "float": float,
        "float | None": _optional_float,
        "bool": bool,
        "tuple[str, ...]": _chain_text,
        "tuple[Attempt, ...]": _attempts_text,
        "datetime": utc,
    }
    return by_kind[kind]


_WRITERS = tuple(_writer(f.name, str(f.type)) for f in fields(RequestRecord))


def record_to_row(record: RequestRecord, row_id: str | None = None) -> dict[str, Any]:
    """The ``request_log`` row of a record (optionally under another id)."""
    row = {
        name: write(value)
        for name, write, value in zip(FIELDS, _WRITERS, _record_values(record), strict=True)
    }
    if row_id is not None:
        row["id"] = clean(row_id, REQUEST_ID_LENGTH)
    return row


# ------------------------------------------------------------------ row -> record


def _chain(text: str | None) -> tuple[str, ...]:
    chain = orjson.loads(text or "[]")
    return tuple(str(c) for c in chain) if isinstance(chain, list) else ()


# An attempt's fields that are numbers, and how to read them; text is taken as it is.
_ATTEMPT_NUMBERS: dict[str, Callable[[Any], Any]] = {
    f.name: {"int": int, "float": float}[str(f.type)]
    for f in fields(Attempt)
    if str(f.type) in ("int", "float")
}


def _attempt(found: Mapping[str, Any]) -> Attempt:
    values = {}
    for name in ATTEMPT_FIELDS:
        number = _ATTEMPT_NUMBERS.get(name)
        values[name] = found.get(name, "") if number is None else number(found.get(name, 0))
    return Attempt(**values)


def _attempts(text: str | None) -> tuple[Attempt, ...]:
    found = orjson.loads(text or "[]")
    if not isinstance(found, list):
        return ()
    return tuple(_attempt(a) for a in found if isinstance(a, dict))


def _reader(kind: str) -> Callable[[Any], Any] | None:
    """How a column's value becomes a field of type ``kind``; None: as it is."""
    by_kind: dict[str, Callable[[Any], Any]] = {
        "bool": bool,
        "tuple[str, ...]": _chain,
        "tuple[Attempt, ...]": _attempts,
        "datetime": utc,
    }
    return by_kind.get(kind)


_READERS = tuple((f.name, _reader(str(f.type))) for f in fields(RequestRecord))


def record_from_row(row: Any) -> RequestRecord:
    """The record of a ``request_log`` row. A row read without its ``attempts`` column (a
    page of traces) gives a record without attempts."""
    m = row._mapping
    values: dict[str, Any] = {}
    for name, read in _READERS:
        if name == "attempts" and name not in m:
            values[name] = ()
        else:
            values[name] = m[name] if read is None else read(m[name])
    return RequestRecord(**values)
