"""The ``GET /models`` query: its parameters, parsed and range-checked in one place.

Both transports (the gRPC servicer and the HTTP bridge) hand the raw query strings here,
so ``limit=0`` or ``sort_by=price`` fail with the same 400 and the same ``param`` whichever
way the request came in.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal, TypeAlias

from gate_service.errors import invalid

SortKey: TypeAlias = Literal["usage", "name", "provider", "context", "cost"]
SORT_KEYS: tuple[SortKey, ...] = ("usage", "name", "provider", "context", "cost")
# What a listing holds: catalog models, chat aliases (as model objects), or both (None).
EntryKind: TypeAlias = Literal["model", "alias"]
ENTRY_KINDS: tuple[EntryKind, ...] = ("model", "alias")
DEFAULT_LIMIT = 500
MAX_LIMIT = 2000

_TRUE = frozenset({"true", "1"})
_FALSE = frozenset({"false", "0"})
_INTEGER = re.compile(r"[+-]?[0-9]+")


@dataclass(frozen=True, slots=True)
class ModelQuery:
    """Filters, order and page of a model listing; the defaults list everything."""

    provider: str | None = None
    free_only: bool = False
    configured_only: bool = False
    # Case-insensitive substring of the catalog id or the display name.
    search: str | None = None
    capability: str | None = None
    sort_by: SortKey = "usage"
    limit: int = DEFAULT_LIMIT
    offset: int = 0
    # Only models or only aliases; None lists both.
    kind: EntryKind | None = None


def _text(params: Mapping[str, str], name: str) -> str | None:
    value = params.get(name)
    if value is None:
        return None
    value = value.strip()
    # An empty parameter (``?provider=``) means the same as an absent one.
    return value or None


def _flag(params: Mapping[str, str], name: str) -> bool:
    value = _text(params, name)
    if value is None:
        return False
    lowered = value.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise invalid(f"{name} must be true or false, got {value!r}", name)


def _integer(params: Mapping[str, str], name: str, default: int, low: int, high: int | None) -> int:
    value = _text(params, name)
    if value is None:
        return default
    bounds = f"between {low} and {high}" if high is not None else f"at least {low}"
    # int() alone would also take "1_000" and surrounding whitespace in odd places.
    if not _INTEGER.fullmatch(value):
        raise invalid(f"{name} must be an integer {bounds}, got {value!r}", name)
    number = int(value)
    if number < low or (high is not None and number > high):
        raise invalid(f"{name} must be an integer {bounds}, got {number}", name)
    return number


def _sort_key(params: Mapping[str, str]) -> SortKey:
    value = _text(params, "sort_by")
    if value is None:
        return "usage"
    lowered = value.lower()
    if lowered not in SORT_KEYS:
        allowed = ", ".join(SORT_KEYS)
        raise invalid(f"sort_by must be one of {allowed}, got {value!r}", "sort_by")
    return lowered


def _kind(params: Mapping[str, str]) -> EntryKind | None:
    value = _text(params, "kind")
    if value is None:
        return None
    lowered = value.lower()
    if lowered not in ENTRY_KINDS:
        raise invalid(f"kind must be model or alias, got {value!r}", "kind")
    return "model" if lowered == "model" else "alias"


def parse_model_query(params: Mapping[str, str]) -> ModelQuery:
    """Validate the query string of ``GET /models``.

    Raises ``GateError("invalid_request")`` naming the offending ``param`` for a bad
    boolean, an unknown ``sort_by`` or ``kind``, ``limit`` outside 1-2000 or a negative
    ``offset``.
    An unknown ``provider`` or ``capability`` is not an error: it filters to nothing.
    Parameters this endpoint does not define are ignored.
    """
    return ModelQuery(
        provider=_text(params, "provider"),
        free_only=_flag(params, "free_only"),
        configured_only=_flag(params, "configured_only"),
        search=_text(params, "search"),
        capability=_text(params, "capability"),
        sort_by=_sort_key(params),
        limit=_integer(params, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT),
        offset=_integer(params, "offset", 0, 0, None),
        kind=_kind(params),
    )
