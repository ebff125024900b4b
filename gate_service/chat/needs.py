"""What a chat request needs of a candidate (:class:`~gate_service.routing.plan.Needs`),
and the prompt-size estimates it is built from.

Planning is shared by every kind of call and reads only ``Needs``; this is chat's
translation: the options it was given, tools → ``function_calling``, an image part →
``vision``, the parameters it asks for (``providers.params``), ``n``, and the prompt's
size from its messages and tool schemas.
"""

from __future__ import annotations

from gate_service.domain import ChatRequest, Tool
from gate_service.domain.openai_json import tool_to_json
from gate_service.providers.params import request_params
from gate_service.routing.plan import Needs

# A rough prompt size: four characters a token, plus framing per message.
_CHARS_PER_TOKEN = 4


def needs_of(request: ChatRequest, *, stream: bool = False) -> Needs:
    """What ``request`` needs of the model and provider that serve it; ``stream``: it is
    answered as a stream."""
    options = request.options
    capabilities: tuple[str, ...] = ()
    if request.tools:
        capabilities += ("function_calling",)
    if _has_images(request):
        capabilities += ("vision",)
    return Needs(
        model=request.model,
        fallback_models=tuple(options.fallback_models),
        excluded_providers=frozenset(options.excluded_providers),
        preferred_providers=tuple(options.preferred_providers),
        max_cost_usd=options.max_cost_usd,
        capabilities=capabilities,
        prompt_tokens=estimate_prompt_tokens(request),
        prompt_bound=bound_prompt_tokens(request),
        max_output=request.max_output,
        params=request_params(request),
        stream=stream,
        choices=request.n or 1,
    )


def estimate_prompt_tokens(request: ChatRequest) -> int:
    chars = 0
    for message in request.messages:
        content = message.content
        if isinstance(content, str):
            chars += len(content)
        elif content is not None:
            chars += sum(len(p.text or "") for p in content)
        chars += 16
    return chars // _CHARS_PER_TOKEN + 1


def bound_prompt_tokens(request: ChatRequest) -> int:
    """A generous bound on the prompt's tokens, for budget reservations (an estimate that
    errs high): ASCII text at four characters a token, any other character as a token of
    its own (CJK text is about one a character), 1,000 tokens an image (the dearest
    detail level of the providers we know), and the tool schemas sent with the request."""
    tokens = 0
    for message in request.messages:
        content = message.content
        if isinstance(content, str):
            tokens += text_tokens(content)
        elif content is not None:
            for part in content:
                if part.type == "image_url":
                    tokens += 1000
                tokens += text_tokens(part.text or "")
        tokens += 8
    for tool in request.tools:
        tokens += _tool_chars(tool) // _CHARS_PER_TOKEN + 1
    return tokens


def text_tokens(text: str) -> int:
    # isascii() runs in C: the character walk is for non-ASCII text only.
    ascii_chars = len(text) if text.isascii() else sum(ch < "\x80" for ch in text)
    return ascii_chars // _CHARS_PER_TOKEN + (len(text) - ascii_chars) + 1


def _tool_chars(tool: Tool) -> int:
    """The length of the tool as the client wrote it (as the dict's ``str`` was)."""
    return len(str(tool_to_json(tool)))


def _has_images(request: ChatRequest) -> bool:
    for message in request.messages:
        content = message.content
        if isinstance(content, list) and any(p.type == "image_url" for p in content):
            return True
    return False
