"""Bytes in and out of the cache: one place that decides how a completion is stored.

Both backends keep completions as orjson bytes. Bytes, not dicts, because a caller that
edits a returned answer (``prepare_hit`` rewrites the metadata) must never edit the copy
the next hit will read, and because the memory cache bounds itself by stored size.
"""

from __future__ import annotations

import logging
from typing import Any

import orjson

log = logging.getLogger("spidergate.cache")


def encode_completion(completion: dict[str, Any]) -> bytes | None:
    """The stored form of ``completion``, or None when it cannot be stored faithfully.

    orjson refuses integers beyond 64 bits; a completion never needs one, and a miss is
    always safe, so such a value is simply not cached rather than stored in a second
    format that orjson would read back lossily (as a float).
    """
    try:
        return orjson.dumps(completion)
    except orjson.JSONEncodeError as exc:
        log.debug("completion not cached: %s", exc)
        return None


def decode_completion(data: bytes | str) -> dict[str, Any] | None:
    """The completion stored as ``data``; None for anything that is not a JSON object.

    A corrupt or foreign value under one of our keys is treated as a miss: the gateway
    then answers from a provider and overwrites it.
    """
    try:
        value = orjson.loads(data)
    except orjson.JSONDecodeError:
        return None
    return value if isinstance(value, dict) else None
