"""One request as the gateway keeps it: the request record, and the names of its fields.

The chat service builds one :class:`RequestRecord` per request, whatever its outcome
(served, failed, rejected by a limit, answered from the cache, streamed or cut short); the
ledger journals it, writes it as a ``request_log`` row, reads it back for ``/usage`` and
``/traces``, and the traces API answers it as ``pb.Trace`` and as JSON. Usage, spend and
traces are all read back from these records, so a request without one is a request
nobody pays for.

Every other form is derived from this type's fields, in their order, so a field is added
in one place and the forms cannot drift apart:

- the journal line (:mod:`.codec`): the values in field order;
- the ``request_log`` row (:mod:`.rows`): a column of the same name per field
  (``storage.models.RequestLog`` declares their types; a test holds it to this list);
- ``pb.Trace`` (``proto_convert/usage.py``) and the JSON (:mod:`.json_shapes`): a field of
  the same name per field, except the two names the frozen contract fixes otherwise
  (:data:`SHOWN_AS`, the one mapping) and the fields a client never sees (:data:`PRIVATE`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import datetime

from gate_service.capture.content import CapturedContent
from gate_service.domain.kinds import REQUEST_KINDS, RequestKind
from gate_service.routing.outcome import Attempt

__all__ = [
    "ATTEMPT_FIELDS",
    "FIELDS",
    "PRIVATE",
    "REQUEST_KINDS",
    "SHOWN",
    "SHOWN_AS",
    "TOKEN_FIELDS",
    "Attempt",
    "RequestKind",
    "RequestRecord",
    "shown_name",
]


@dataclass(frozen=True, slots=True)
class RequestRecord:
    """One request and its attempts.

    The field order is the journal's line format (:mod:`.codec`): a field added, removed
    or moved changes it, and ``codec.VERSION`` must change with it (a test pins both).
    """

    # The request id (the X-Request-Id of the answer; a client may choose it).
    id: str
    client_id: str
    # The agent token's id and name; None for a client credential.
    token_id: str | None
    agent_name: str | None
    # What the request asked for; ``alias`` when that was an alias.
    requested_model: str
    alias: str | None
    # What kind of call it was (a chat completion, an embedding, ...): what ``/usage``
    # breaks spend down by. Rows and journal lines from before kinds read as "chat".
    kind: RequestKind
    # What served it; None when nothing did.
    served_model: str | None
    provider: str | None
    key_id: str | None
    # The masked preview of the provider key that served it.
    key_preview: str | None
    status: int
    error_code: str | None
    latency_ms: float
    # Time to the first chunk of a stream.
    ttft_ms: float | None
    prompt_tokens: int
    completion_tokens: int
    cached_tokens: int
    reasoning_tokens: int
    cost_usd: float
    streamed: bool
    cache_hit: bool
    # "provider:model" of every attempt, in order.
    fallback_chain: tuple[str, ...]
    # Every attempt in the order tried (a page of traces reads none: empty there).
    attempts: tuple[Attempt, ...]
    created_at: datetime
    # Where the time went before the first attempt, for the trace's span waterfall
    # (:mod:`.spans`): authenticating the caller, planning the route (no I/O) and
    # admission (rate limits, budget reservation). None in records from before spans.
    auth_ms: float | None = None
    plan_ms: float | None = None
    admission_ms: float | None = None
    # The captured messages when content capture was on for the request (docs/capture.md):
    # not a field of the row, the proto or the JSON (see CONTENT) but a table of its own,
    # ``trace_content``, written in the same transaction; None when capture is off.
    content: CapturedContent | None = None


CONTENT = "content"
"""The field kept apart from the ledger's metadata: journaled with the record (a line of
its own version), stored in ``trace_content``, shown only by ``GET /traces/{id}``."""
FIELDS: tuple[str, ...] = tuple(f.name for f in fields(RequestRecord) if f.name != CONTENT)
"""The record's fields in order (the captured content aside): the one list every form is
derived from."""
ATTEMPT_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(Attempt))
"""An attempt's fields in order, the same in the journal, the row, the proto and the JSON."""

PRIVATE = frozenset({"key_id"})
"""Kept in the ledger (spend per key), never shown: ``pb.Trace`` has no place for it."""
SHOWN_AS: Mapping[str, str] = {"agent_name": "agent", "served_model": "model"}
"""The names ``usage.proto`` and the ``/traces`` JSON fix for two fields (a frozen
contract); the columns keep the record's names. The one mapping between the forms."""
SHOWN: tuple[str, ...] = tuple(f for f in FIELDS if f not in PRIVATE)
"""The fields a client sees, in order."""
TOKEN_FIELDS: tuple[str, ...] = (
    "prompt_tokens",
    "completion_tokens",
    "cached_tokens",
    "reasoning_tokens",
)
"""The token counts, which the JSON groups under ``usage``."""


def shown_name(field: str) -> str:
    """The name a field has in ``pb.Trace`` and the JSON."""
    return SHOWN_AS.get(field, field)
