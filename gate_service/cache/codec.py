"""Bytes in and out of the cache: one place that decides how a completion is stored.

Both backends keep completions as orjson bytes of their OpenAI JSON form. Bytes, not
objects, because a caller that edits a returned answer must never edit the copy the next
hit will read, and because the memory cache bounds itself by stored size.
"""

from __future__ import annotations

import logging

import orjson

from gate_service.domain import Completion
from gate_service.domain.openai_json import completion_from_json, completion_to_json

log = logging.getLogger("spidergate.cache")


def encode_completion(completion: Completion) -> bytes | None:
    """The stored form of ``completion``, or None when it cannot be stored faithfully.

    orjson refuses integers beyond 64 bits; a completion never needs one, and a miss is
    always safe, so such a value is simply not cached rather than stored in a second
    format that orjson would read back lossily (as a float).
    """
    try:
        return orjson.dumps(completion_to_json(completion))
    except orjson.JSONEncodeError as exc:
        log.debug("completion not cached: %s", exc)
        return None


def decode_completion(data: bytes | str) -> Completion | None:
    """The completion stored as ``data``; None for anything that is not a JSON object.

    A corrupt or foreign value under one of our keys is treated as a miss: the gateway
    then answers from a provider and overwrites it.
    """
    try:
        value = orjson.loads(data)
    except orjson.JSONDecodeError:
        return None
    return completion_from_json(value) if isinstance(value, dict) else None
