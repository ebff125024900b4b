"""Provider wire formats, one module each.

Each format subclasses :class:`~mock_provider.formats.base.WireFormat` and
lists its endpoints; ``server.FORMATS`` decides which ones the server speaks.
Only OpenAI chat completions exists so far; Anthropic Messages and Gemini are
meant to land here as ``anthropic.py`` and ``gemini.py``.
"""

from mock_provider.formats.base import Call, Endpoint, Handler, WireFormat
from mock_provider.formats.openai import OPENAI, OpenAIFormat

__all__ = ["OPENAI", "Call", "Endpoint", "Handler", "OpenAIFormat", "WireFormat"]
