"""Provider wire formats, one module each (plus a ``*_request`` parser per format).

Each format subclasses :class:`~mock_provider.formats.base.WireFormat` and
lists its endpoints; :data:`SPOKEN` holds them by name: OpenAI chat completions,
Anthropic Messages and Gemini generateContent. Which ones the server speaks, and
in which order, is the gateway's list (``server.FORMATS``, taken from
``gate_service.providers.registry``), so a format the gateway gains without one
here fails the mock's import and its tests.
"""

from collections.abc import Mapping

from mock_provider.formats.anthropic import ANTHROPIC, AnthropicFormat
from mock_provider.formats.base import Call, Endpoint, Handler, WireFormat
from mock_provider.formats.gemini import GEMINI, GeminiFormat
from mock_provider.formats.openai import OPENAI, OpenAIFormat

SPOKEN: Mapping[str, WireFormat] = {f.name: f for f in (OPENAI, ANTHROPIC, GEMINI)}

__all__ = [
    "ANTHROPIC",
    "GEMINI",
    "OPENAI",
    "SPOKEN",
    "AnthropicFormat",
    "Call",
    "Endpoint",
    "GeminiFormat",
    "Handler",
    "OpenAIFormat",
    "WireFormat",
]
