"""Typed reads of JSON values: a wrong type is a 400 naming the parameter, never a crash.

Numbers are read into the width of the proto field they land in (``as_int32`` for
``int32``, ``as_int`` for ``int64``): protobuf raises ``ValueError`` on a value out of its
field's range, which would otherwise surface as a 500. JSON numbers too big for 64 bits
arrive as floats from orjson (``1e19``, ``1e308``), so the range is checked after a float
was turned into an int, not before.
"""

from __future__ import annotations

import json
import math
from typing import Any

import orjson

from gate_service.errors import invalid


def as_str(value: Any, param: str) -> str:
    if not isinstance(value, str):
        raise invalid(f"'{param}' must be a string", param)
    return value


INT32 = 2**31
INT64 = 2**63
# Past this a float no longer holds every integer exactly (a double has 53 bits).
_EXACT_FLOAT_INTS = 2**53


def as_float(value: Any, param: str) -> float:
    # bool is an int subclass in Python; JSON true is not a number.
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise invalid(f"'{param}' must be a number", param)
    try:
        number = float(value)
    except OverflowError:  # an int beyond a double's range
        raise invalid(f"'{param}' is out of range", param) from None
    if not math.isfinite(number):
        raise invalid(f"'{param}' must be a finite number", param)
    return number


def as_int(value: Any, param: str, bound: int = INT64) -> int:
    """An integer in ``[-bound, bound)`` (int64 by default); an integral float counts."""
    if isinstance(value, bool):
        raise invalid(f"'{param}' must be an integer", param)
    if isinstance(value, float) and value.is_integer():
        if abs(value) >= _EXACT_FLOAT_INTS:
            # orjson reads an integer past 64 bits as a float, rounded: -2**63 - 1 would
            # come back as -2**63, inside the range. Not the number the client sent.
            raise invalid(f"'{param}' is out of range", param)
        value = int(value)
    if not isinstance(value, int):
        raise invalid(f"'{param}' must be an integer", param)
    if not -bound <= value < bound:
        raise invalid(f"'{param}' is out of range", param)
    return value


def as_int32(value: Any, param: str) -> int:
    """An integer that fits a proto ``int32`` field."""
    return as_int(value, param, INT32)


def as_bool(value: Any, param: str) -> bool:
    if not isinstance(value, bool):
        raise invalid(f"'{param}' must be a boolean", param)
    return value


def as_dict(value: Any, param: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise invalid(f"'{param}' must be an object", param)
    return value


def as_list(value: Any, param: str) -> list[Any]:
    if not isinstance(value, list):
        raise invalid(f"'{param}' must be an array", param)
    return value


def dump_extra(obj: dict[str, Any], known: frozenset[str]) -> bytes:
    """JSON of the keys of ``obj`` not in ``known`` (b"" when there are none)."""
    extra = {k: v for k, v in obj.items() if k not in known}
    return _dumps(extra) if extra else b""


def load_extra(raw: bytes) -> dict[str, Any]:
    """The inverse of ``dump_extra``."""
    if not raw:
        return {}
    value = orjson.loads(raw)
    return value if isinstance(value, dict) else {}


def dump_json(value: Any) -> bytes:
    """JSON bytes of any value; ``None`` becomes b"" so absence survives the round trip."""
    return b"" if value is None else _dumps(value)


def _dumps(value: Any) -> bytes:
    try:
        return orjson.dumps(value)
    except TypeError:
        # orjson stops at 64-bit integers; the standard library keeps bigger ones exact.
        return json.dumps(value, separators=(",", ":")).encode()


def load_json(raw: bytes) -> Any:
    return orjson.loads(raw) if raw else None
