"""One task alias per upstream wire format, for end-to-end tests that must hold "through
aliases served by an OpenAI-format, an Anthropic and a Gemini upstream" (issue 11).

Each is a catalog alias (``gate_service/catalog/data/aliases.yaml``) resolved through its
chain like any client's; ``spidergate_options.preferred_providers`` puts the chain's
provider of that format first (only ``spideriq/lead-analysis`` has an Anthropic model,
third in its chain). A test reads the mock's record of the upstream call to see which
format really served (``served_by``), so a change of catalog cannot make it pass vacuously.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tests.stack import Stack


@dataclass(frozen=True, slots=True)
class FormatAlias:
    alias: str
    provider: str  # the chain's provider of the format, preferred
    model: str  # the model it serves (the Response's ``model``)

    @property
    def options(self) -> dict[str, Any]:
        """``spidergate_options`` that route the alias to ``provider``."""
        return {"preferred_providers": [self.provider]}

    @property
    def extra_body(self) -> dict[str, Any]:
        """The SDKs' ``extra_body`` that carries :attr:`options`."""
        return {"spidergate_options": self.options}


ALIASES = {
    "openai": FormatAlias("spideriq/chat", "groq", "llama-3.3-70b-versatile"),
    "anthropic": FormatAlias("spideriq/lead-analysis", "anthropic", "claude-3-5-haiku-latest"),
    "gemini": FormatAlias("spideriq/long-context", "google_ai", "gemini-2.5-flash"),
}
FORMATS = sorted(ALIASES)


def served_by(stack: Stack) -> tuple[str, str | None]:
    """(wire format, model) of the last upstream call the mock received."""
    record = stack.mock.state.records[-1]
    return record.endpoint.split(".", 1)[0], record.model
