"""One request record as one line of the journal, and back.

A line is ``<seq> <crc32 hex> <payload>\\n``: the payload is a JSON array of the record's
fields in their order (format version first), the CRC covers the sequence number and the
payload, so a line torn by a crash mid-write, or damaged later, is recognised and never
decoded into a wrong record. Positional rather than keyed because it is what ``record`` pays
on the request path: building and serialising the array costs ~5 µs, orjson over the
dataclass 12-17 µs (measured on this 2-core machine, under load).

Version 2 added the request kind (after ``alias``). Lines of version 1 (written before
request kinds, including by the release that called the record ``LedgerEntry``) are still
read, as kind ``"chat"``, the only kind there was: a journal left by the previous release
replays after the upgrade. ``tests/ledger/test_record.py`` keeps a line of each version.

Version 3 added the span timings (``auth_ms``, ``plan_ms``, ``admission_ms``, after
``created_at`` in the record, among the plain values here); version 2 lines read them as
None. Version 4 is a version 3 line with one more element, the captured content
(:class:`~gate_service.capture.content.CapturedContent`: input and output messages, the
truncation flags, the expiry), written only for a request whose content was captured:
with capture off the line is exactly version 3, and costs nothing more.

Strings orjson refuses (lone surrogates) are replaced by U+FFFD first: PostgreSQL could
not store them either.
"""

from __future__ import annotations

import zlib
from datetime import datetime
from operator import attrgetter
from typing import Any

import orjson

from gate_service.capture.content import CapturedContent
from gate_service.ledger.record import (
    ATTEMPT_FIELDS,
    FIELDS,
    REQUEST_KINDS,
    Attempt,
    RequestRecord,
)

VERSION = 3
# A version 3 line followed by the captured content (only for captured requests).
CONTENT_VERSION = 4
# The record's fields in their order, attempts and created_at (the last two) written apart.
# Adding a field to RequestRecord or Attempt changes the line: bump VERSION (a test pins it).
ENTRY_FIELDS = FIELDS
_APART = ("attempts", "created_at")
_PLAIN = tuple(name for name in ENTRY_FIELDS if name not in _APART)
_entry_values = attrgetter(*_PLAIN)
_attempt_values = attrgetter(*ATTEMPT_FIELDS)
_SPAN_FIELDS = ("auth_ms", "plan_ms", "admission_ms")
# The plain fields of each version a journal may hold, and what a field missing from an
# older version reads as.
_LAYOUTS: dict[int, tuple[str, ...]] = {
    VERSION: _PLAIN,
    CONTENT_VERSION: _PLAIN,
    2: tuple(name for name in _PLAIN if name not in _SPAN_FIELDS),
    1: tuple(name for name in _PLAIN if name != "kind" and name not in _SPAN_FIELDS),
}
_MISSING: dict[str, Any] = {"kind": "chat", **dict.fromkeys(_SPAN_FIELDS)}
_KINDS = frozenset(REQUEST_KINDS)


class CorruptLine(ValueError):
    """A journal line that is torn, damaged, or of an unknown format."""


def _values(entry: RequestRecord) -> list[Any]:
    # orjson writes the datetime as ISO 8601 to the microsecond: exact, and fast.
    attempts = [_attempt_values(a) for a in entry.attempts]
    c = entry.content
    if c is None:
        return [VERSION, *_entry_values(entry), attempts, entry.created_at]
    content = [
        c.input_messages,
        c.output_messages,
        c.input_truncated,
        c.output_truncated,
        c.expires_at,
    ]
    return [CONTENT_VERSION, *_entry_values(entry), attempts, entry.created_at, content]


def _scrub(value: Any) -> Any:
    """``value`` with every string made encodable (lone surrogates become U+FFFD)."""
    if isinstance(value, str):
        return value.encode("utf-8", "replace").decode("utf-8")
    if isinstance(value, list | tuple):
        return [_scrub(v) for v in value]
    if isinstance(value, dict):
        return {_scrub(k): _scrub(v) for k, v in value.items()}
    return value


def encode(seq: int, entry: RequestRecord) -> bytes:
    """The journal line of ``entry`` under sequence number ``seq``."""
    values = _values(entry)
    try:
        payload = orjson.dumps(values)
    except TypeError:  # orjson.JSONEncodeError: a string it cannot encode
        payload = orjson.dumps(_scrub(values))
    head = b"%d" % seq
    return b"%s %08x %s\n" % (head, zlib.crc32(payload, zlib.crc32(head)), payload)


def _checked(line: bytes) -> tuple[int, bytes]:
    try:
        head, crc, payload = line.rstrip(b"\n").split(b" ", 2)
        if not line.endswith(b"\n") or int(crc, 16) != zlib.crc32(payload, zlib.crc32(head)):
            raise CorruptLine("checksum mismatch or torn line")
        return int(head), payload
    except ValueError as exc:
        raise CorruptLine(str(exc)) from exc


def check(line: bytes) -> int:
    """The sequence number of an intact line (checksum verified, payload not decoded)."""
    return _checked(line)[0]


def decode(line: bytes) -> tuple[int, RequestRecord]:
    """``(seq, record)`` of a complete line (with its newline); CorruptLine if it is not one."""
    seq, payload = _checked(line)
    try:
        f = orjson.loads(payload)
        content = None
        if f[0] == CONTENT_VERSION:
            inputs, outputs, cut_in, cut_out, expires = f.pop()
            content = CapturedContent(
                list(inputs),
                list(outputs),
                bool(cut_in),
                bool(cut_out),
                datetime.fromisoformat(expires),
            )
        names = _LAYOUTS.get(f[0])
        if names is None or len(f) != 1 + len(names) + 2:
            raise CorruptLine(f"unknown journal format {f[0]!r}")
        plain = dict(zip(names, f[1:-2], strict=True))
        if names is not _PLAIN:
            plain = {n: plain[n] if n in plain else _MISSING[n] for n in _PLAIN}
        if plain["kind"] not in _KINDS:  # the row's column and /usage know only these
            raise CorruptLine(f"unknown request kind {plain['kind']!r}")
        plain["fallback_chain"] = tuple(plain["fallback_chain"])  # a JSON array: a list
        entry = RequestRecord(
            **plain,
            attempts=tuple(Attempt(*a) for a in f[-2]),
            created_at=datetime.fromisoformat(f[-1]),
            content=content,
        )
        return seq, entry
    except CorruptLine:
        raise
    except (ValueError, TypeError, IndexError) as exc:  # orjson.JSONDecodeError is a ValueError
        raise CorruptLine(str(exc)) from exc
