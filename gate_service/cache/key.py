"""The exact-match cache key: which requests count as "the same question".

The key is ``sg:cache:v1:`` plus a SHA-256 hex digest over the brand's ``client_id`` and a
canonical JSON of the request (keys sorted, so the order a client writes fields in does not
matter). The brand is hashed in so one brand's answer is never served to another, even for
a byte-identical request. Bump ``KEY_VERSION`` whenever the canonical form or the stored
value changes: old entries then simply stop matching and age out through their TTL.

Fields that cannot change the answer are left out, so toggling them still hits:

- ``stream``: the cache stores a whole ``chat.completion``; whether it is delivered as one
  body or as chunks is a transport choice made after the answer exists.
- ``stream_options``: only controls whether a usage chunk is sent when streaming.
- ``user``: OpenAI's end-user tag for abuse monitoring; the model's output does not depend
  on it, and brand isolation comes from ``client_id``, not from this free-form field.
- ``spidergate_options.cache_enabled`` / ``cache_ttl_seconds``: how the answer is stored,
  not what is asked; a request with a different TTL must still find the entry.
- ``spidergate_options.timeout_ms`` / ``retry_count``: how hard the gateway tries, not
  what it asks; a success under one budget is the same answer under another.

Everything else stays in, including routing options (``fallback_models``,
``preferred_providers``, ``excluded_providers``, ``max_cost_usd``): they decide which
model may answer, and a client that excluded a provider must not get that provider's
cached answer. Values are compared as written: ``1`` and ``1.0`` give different keys, which
costs at most a miss.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import orjson

from gate_service.domain import ChatRequest
from gate_service.domain.openai_json import request_to_json

KEY_VERSION = 1
KEY_PREFIX = f"sg:cache:v{KEY_VERSION}:"

_IGNORED_FIELDS = frozenset({"stream", "stream_options", "user"})
# The routing and caching knobs: they decide how an answer is fetched, not what it says.
IGNORED_OPTIONS = frozenset({"cache_enabled", "cache_ttl_seconds", "timeout_ms", "retry_count"})


def cache_key(client_id: str, request: ChatRequest) -> str:
    """The cache key of ``request`` sent by the brand ``client_id``.

    Computed over the request's OpenAI JSON form, which is the body the client sent
    (after validation, before routing adds anything to it).
    """
    digest = hashlib.sha256()
    # A JSON string ends at its closing quote, so "brand" + "{...}" cannot be confused
    # with another (brand, request) pair whose bytes happen to concatenate the same way.
    digest.update(orjson.dumps(client_id))
    digest.update(_canonical_json(_answer_fields(request_to_json(request))))
    return KEY_PREFIX + digest.hexdigest()


def _answer_fields(request: dict[str, Any]) -> dict[str, Any]:
    """``request`` without the fields that do not change the answer."""
    kept = {k: v for k, v in request.items() if k not in _IGNORED_FIELDS}
    options = kept.get("spidergate_options")
    if isinstance(options, dict):
        options = {k: v for k, v in options.items() if k not in IGNORED_OPTIONS}
        if options:
            kept["spidergate_options"] = options
        else:
            # `{}` and an absent object ask the same question.
            del kept["spidergate_options"]
    return kept


def _canonical_json(value: dict[str, Any]) -> bytes:
    """Sorted-key JSON. orjson is fast but refuses integers beyond 64 bits; for those the
    standard library takes over. The same request always takes the same path, so the two
    formats never need to agree with each other."""
    try:
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
    except orjson.JSONEncodeError:
        return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
