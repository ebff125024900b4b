"""JSON in and out at the adapters' edge: upstream bodies and stream payloads.

One place decides how a malformed upstream answer becomes a failure (``PROTOCOL``, so the
router falls over to the next candidate) and how tool-call arguments are serialised
(compact, the way OpenAI sends them, so every format yields byte-identical arguments).
"""

from __future__ import annotations

from typing import Any

import orjson

from gate_service.providers.base import FailureKind, Json, UpstreamFailure


def load_object(data: bytes, what: str = "upstream answer") -> Json:
    """Parse ``data`` as a JSON object, or fail with ``PROTOCOL``."""
    try:
        value = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise UpstreamFailure(FailureKind.PROTOCOL, 502, f"malformed {what}") from exc
    if not isinstance(value, dict):
        raise UpstreamFailure(FailureKind.PROTOCOL, 502, f"unexpected {what}")
    return value


def compact(value: Any) -> str:
    """Compact JSON text (no spaces), as OpenAI writes ``function.arguments``."""
    return orjson.dumps(value).decode()
