"""What the Messages API tests share: the task aliases that land on each upstream wire
format, and the anthropic SDK clients the gateway must serve (both base URLs, both ways of
sending the token)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from anthropic import Anthropic
from anthropic.types import Message, MessageParam, TextBlock, ToolParam

from tests.stack import Stack


@dataclass(frozen=True)
class Upstream:
    """A task alias that is served by one wire format: ``alias``, with ``prefer`` put first
    in its chain (``spidergate_options.preferred_providers``) when the format is not the
    chain's first; ``served`` is the model that answers."""

    alias: str
    served: str
    prefer: tuple[str, ...] = field(default=())

    def extra_body(self, **more: Any) -> dict[str, Any]:
        """The ``extra_body`` of an SDK call through this alias, plus ``more``."""
        options = {"spidergate_options": {"preferred_providers": list(self.prefer)}}
        return {**(options if self.prefer else {}), **more}


# Each alias's first usable candidate speaks the format (all three take tools and images).
UPSTREAMS = {
    # agent/tool-use: openrouter:openai/gpt-4o first.
    "openai": Upstream("agent/tool-use", "openai/gpt-4o"),
    # spideriq/lead-analysis: mistral, openai, then anthropic:claude-3-5-haiku-latest.
    "anthropic": Upstream("spideriq/lead-analysis", "claude-3-5-haiku-latest", ("anthropic",)),
    # spideriq/long-context: google_ai:gemini-2.5-flash first.
    "gemini": Upstream("spideriq/long-context", "gemini-2.5-flash"),
}
FORMATS = sorted(UPSTREAMS)

TOOLS: list[ToolParam] = [
    {
        "name": "lookup_order",
        "description": "Find an order",
        "input_schema": {
            "type": "object",
            "properties": {"order_id": {"type": "string"}, "verbose": {"type": "boolean"}},
            "required": ["order_id", "verbose"],
        },
    }
]
QUESTION: list[MessageParam] = [{"role": "user", "content": "Where is order 42?"}]


def root(stack: Stack) -> str:
    """``http://host:port``: the SDK then calls ``/v1/messages``."""
    return stack.base_url.removesuffix("/api/gate/v1")


# The two base URLs a user configures, each with one way of sending the token (every
# pairing is checked in test_messages_sdk.py): ``api_key`` is ``x-api-key``, ``auth_token``
# is ``Authorization: Bearer``.
CLIENTS = ("gate-x-api-key", "root-bearer")


def make_client(stack: Stack, token: str, kind: str) -> Anthropic:
    base, auth = kind.split("-", 1)
    url = root(stack) + ("/api/gate" if base == "gate" else "")
    if auth == "x-api-key":
        return Anthropic(base_url=url, api_key=token, max_retries=0)
    return Anthropic(base_url=url, auth_token=token, max_retries=0)


def text_of(message: Message) -> str:
    return "".join(b.text for b in message.content if isinstance(b, TextBlock))
