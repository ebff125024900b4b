"""The kinds of call the gateway serves: what the ledger records each request as, and
what ``/usage`` breaks spend down by.

``chat``, ``response`` (the Responses API), ``message`` (the Anthropic Messages API) and
``completion`` (legacy text completions) are all served as a chat request: the surfaces
differ at the edge only. The others are their own calls.
"""

from __future__ import annotations

from typing import Literal, TypeAlias, get_args

RequestKind: TypeAlias = Literal[
    "chat",
    "embedding",
    "image",
    "speech",
    "transcription",
    "moderation",
    "response",
    "message",
    "completion",
]
REQUEST_KINDS: tuple[RequestKind, ...] = get_args(RequestKind)
CHAT_KINDS: tuple[RequestKind, ...] = ("chat", "response", "message", "completion")
"""The kinds a chat request may carry (the surface it came through)."""
