"""What the client sees about how its chat request was served: our completion ids, the
served model on the answer and on every chunk, ``spidergate_metadata``, the route trace
and the ``X-SpiderGate-Fallback-From`` header. Pure functions of the answer and the
routing :class:`~gate_service.routing.outcome.Outcome`; no routing decision is made here.
The ``X-SpiderGate-Dropped-Params`` header names what the served provider was not sent.
"""

from __future__ import annotations

import os
import string
import time
from collections.abc import Sequence
from urllib.parse import quote

from gate_service.domain import ChatRequest, Chunk, Completion, Metadata
from gate_service.providers.params import DROPPED_HEADER, dropped, request_params
from gate_service.routing.outcome import Outcome, RequestContext
from gate_service.routing.plan import Planned

FALLBACK_HEADER = "X-SpiderGate-Fallback-From"


def new_completion_id() -> str:
    """``chatcmpl-`` plus 24 hex digits (api.md)."""
    return "chatcmpl-" + os.urandom(12).hex()


def fallback_headers(planned: Sequence[Planned], outcome: Outcome) -> dict[str, str]:
    """The first choice's model when a fallback served, else nothing."""
    if outcome.index:
        return {FALLBACK_HEADER: planned[0].item.model_id}
    return {}


def answer_headers(
    planned: Sequence[Planned], outcome: Outcome, request: ChatRequest
) -> dict[str, str]:
    """The served answer's headers: the fallback header, and the parameters left out for
    the provider that served (``providers.params``: ones that change nothing), named."""
    headers = fallback_headers(planned, outcome)
    if outcome.index is not None:
        item = planned[outcome.index].item
        if names := dropped(item.provider, item.model_id, request_params(request)):
            headers[DROPPED_HEADER] = ", ".join(header_safe(n) for n in names)
    return headers


# Printable ASCII a header value carries as is; "%" and "," are encoded (the escape and the
# separator of the list).
_HEADER_SAFE = "".join(c for c in string.punctuation if c not in "%,") + " "


def header_safe(name: str) -> str:
    """A parameter name as a header may carry it: an unknown key the client sent may hold
    any character (a non-Latin-1 one made the response unencodable: a 500), so anything
    but printable ASCII is percent-encoded, as in a URL."""
    return quote(name, safe=_HEADER_SAFE)


def shape_completion(
    completion: Completion,
    outcome: Outcome,
    planned: Sequence[Planned],
    request: ChatRequest,
    ctx: RequestContext,
) -> tuple[Completion, dict[str, str]]:
    """The served completion as the client gets it (our id, the catalog's model id,
    metadata, the trace when asked) and the response headers."""
    served, index = outcome.served, outcome.index or 0
    assert served is not None, "only a served request has an answer"
    upstream_model = completion.model or served.model
    completion.id = new_completion_id()
    completion.object = "chat.completion"
    completion.model = served.model
    # An adapter that had no creation time leaves 0 (the dicts' missing key).
    completion.created = completion.created or int(time.time())
    completion.metadata = Metadata(
        provider=served.provider,
        provider_model=upstream_model,
        latency_ms=outcome.latency_ms or 0.0,
        cost_usd=served.cost_usd,
        cache_hit=False,
        fallback_used=index > 0,
        requested_model=request.model,
        request_id=ctx.request_id,
        original_model=planned[0].item.model_id if index > 0 else "",
    )
    if ctx.include_route_trace:
        completion.route_trace = list(outcome.attempts)
    return completion, answer_headers(planned, outcome, request)


def rewrite_chunk(chunk: Chunk, completion_id: str, model: str, wants_usage: bool) -> Chunk | None:
    """Our id and the served model on every chunk; usage only if the client asked."""
    chunk.id = completion_id
    chunk.model = model
    chunk.object = "chat.completion.chunk"
    if not wants_usage:
        if not chunk.choices:
            return None
        chunk.usage = None
    return chunk
