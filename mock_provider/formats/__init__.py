"""Provider wire formats, one module each (plus a ``*_request`` parser per format).

Each format subclasses :class:`~mock_provider.formats.base.WireFormat` and
lists its endpoints; ``server.FORMATS`` decides which ones the server speaks:
OpenAI chat completions, Anthropic Messages and Gemini generateContent.
"""

from mock_provider.formats.anthropic import ANTHROPIC, AnthropicFormat
from mock_provider.formats.base import Call, Endpoint, Handler, WireFormat
from mock_provider.formats.gemini import GEMINI, GeminiFormat
from mock_provider.formats.openai import OPENAI, OpenAIFormat

__all__ = [
    "ANTHROPIC",
    "GEMINI",
    "OPENAI",
    "AnthropicFormat",
    "Call",
    "Endpoint",
    "GeminiFormat",
    "Handler",
    "OpenAIFormat",
    "WireFormat",
]
