"""The flat registry of wire adapters, keyed by the catalog's ``api_format``.

This is the one list of wire formats. The catalog schema takes the ``api_format`` values a
provider may name from it (:data:`WIRE_FORMATS`), the mock provider the formats it speaks,
and the conformance suite the adapters it runs; so a format added here is accepted by the
catalog at once, and the mock's and the suite's tests name what they still lack.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping

from gate_service.providers.anthropic import AnthropicAdapter
from gate_service.providers.base import WireAdapter
from gate_service.providers.gemini import GeminiAdapter
from gate_service.providers.openai_compat import OpenAIAdapter

Clock = Callable[[], float]

# Each format's adapter, built with the clock that stamps ``created`` on answers whose wire
# format carries no time of its own (OpenAI answers do: that adapter needs no clock).
_BUILDERS: dict[str, Callable[[Clock], WireAdapter]] = {
    OpenAIAdapter.name: lambda clock: OpenAIAdapter(),
    AnthropicAdapter.name: AnthropicAdapter,
    GeminiAdapter.name: GeminiAdapter,
}

WIRE_FORMATS: tuple[str, ...] = tuple(_BUILDERS)
"""Every wire format this build speaks (vault-and-routing.md), OpenAI-compatible first."""


def default_adapters(clock: Clock = time.time) -> Mapping[str, WireAdapter]:
    """One adapter per wire format, in :data:`WIRE_FORMATS` order (tests fix ``clock``)."""
    return {name: build(clock) for name, build in _BUILDERS.items()}
