"""An embedding request as an attempt of the failover runner
(:mod:`gate_service.routing.runner`).

The runner hands each attempt the chat adapter of the target's wire format: its
``classify_error`` says how a failure steers the fallback (429 → next key), as for chat.
The embeddings translation is the format's embeddings adapter (:data:`FORMATS`, keyed by
the same ``api_format``); a format without one cannot serve the candidate (the next one
is tried).

``dimensions`` goes upstream only when it differs from the candidate's catalog length:
asking a model for its own default changes nothing, and not every vendor takes the
parameter (Mistral refuses it).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

import aiohttp

from gate_service.deadline import Deadline
from gate_service.domain.embeddings import EmbeddingAnswer, EmbeddingRequest
from gate_service.providers.base import (
    FailureKind,
    Target,
    UpstreamFailure,
    UpstreamRequest,
    WireAdapter,
)
from gate_service.providers.gemini_embeddings import GeminiEmbeddings
from gate_service.providers.openai_embeddings import OpenAIEmbeddings
from gate_service.providers.transport import post
from gate_service.routing.plan import Planned
from gate_service.routing.runner import Reply


class EmbeddingsFormat(Protocol):
    """One wire format's embeddings translation (pure)."""

    name: str

    def build_request(
        self, target: Target, request: EmbeddingRequest, dimensions: int | None
    ) -> UpstreamRequest: ...

    def parse_response(
        self, target: Target, body: bytes, count: int, estimate: int
    ) -> EmbeddingAnswer: ...


FORMATS: Mapping[str, EmbeddingsFormat] = {
    OpenAIEmbeddings.name: OpenAIEmbeddings(),
    GeminiEmbeddings.name: GeminiEmbeddings(),
}
"""The wire formats that serve embeddings, by ``api_format``."""


def catalog_dimensions(planned: Sequence[Planned]) -> dict[tuple[str, str], int | None]:
    """Each candidate's default vector length, from the catalog."""
    return {
        (p.item.provider.id, p.item.model_id): p.item.model.dimensions if p.item.model else None
        for p in planned
    }


@dataclass(frozen=True, slots=True)
class EmbeddingsCall:
    """One attempt: post the batch, parse every vector."""

    session: aiohttp.ClientSession
    request: EmbeddingRequest
    # The prompt's estimated tokens, billed when the upstream reports none.
    estimate: int
    defaults: Mapping[tuple[str, str], int | None]

    async def __call__(
        self, target: Target, adapter: WireAdapter, deadline: Deadline, timeout_s: float
    ) -> Reply[EmbeddingAnswer]:
        fmt = FORMATS.get(target.provider.api_format)
        if fmt is None:
            raise UpstreamFailure(
                FailureKind.PROTOCOL, 502, f"wire format {adapter.name!r} serves no embeddings"
            )
        wanted = self.request.dimensions
        default = self.defaults.get((target.provider.id, target.model))
        upstream = fmt.build_request(target, self.request, None if wanted == default else wanted)
        resp = await post(self.session, upstream, timeout_s, deadline)
        if resp.status >= 400:
            raise adapter.classify_error(resp.status, resp.headers, resp.body)
        answer = fmt.parse_response(target, resp.body, self.request.count, self.estimate)
        return Reply(answer, resp.headers, answer.usage)
