"""The flat registry of wire adapters, keyed by the catalog's ``api_format``."""

from __future__ import annotations

from collections.abc import Mapping

from gate_service.providers.anthropic import AnthropicAdapter
from gate_service.providers.base import WireAdapter
from gate_service.providers.gemini import GeminiAdapter
from gate_service.providers.openai_compat import OpenAIAdapter


def default_adapters() -> Mapping[str, WireAdapter]:
    """Every adapter this build has: the three wire formats of vault-and-routing.md."""
    return {"openai": OpenAIAdapter(), "anthropic": AnthropicAdapter(), "gemini": GeminiAdapter()}
