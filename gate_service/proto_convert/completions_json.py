"""Legacy ``POST /completions`` JSON -> the chat request it is served as.

Older tools (LlamaIndex with ``is_chat_model=False``, LangChain's ``OpenAI`` LLM, scripts
written for ``text-davinci``) still send text completions. No model in the catalog is a
completion model, so the request is translated at the edge into one chat request (the
prompt as the one user message, ``request_kind="completion"``) and served by the one
pipeline. Every parameter is honoured, translated, or refused with a 400 naming it;
none is dropped:

- ``prompt``: a string, or an array holding one string. Several prompts (OpenAI answers
  one choice per prompt) and token-id prompts (we cannot detokenize for every upstream)
  are refused: send one request per prompt.
- ``suffix`` (fill-in-the-middle): no chat model takes it, and asking one in prose is not
  the same answer: refused when not empty.
- ``echo``: the prompt is prepended to each choice's text (by the bridge, which keeps it).
- ``logprobs`` (0-5): chat's ``logprobs`` and ``top_logprobs``, answered back in the
  legacy shape (:mod:`bridge.completions`). With ``echo`` it would need the prompt's own
  logprobs, which chat models do not return: refused.
- ``best_of``: generating more and keeping the likeliest is not something a chat upstream
  does; accepted only when it changes nothing (1, or equal to ``n``).
- ``tools``, ``tool_choice``, ``parallel_tool_calls``, ``functions``, ``function_call``
  (chat's): the answer would be tool calls, which a text completion has no place for:
  refused rather than lost.
- ``max_tokens``: OpenAI's default for this endpoint is 16, so 16 when not given.
- everything else (``n``, ``stop``, ``temperature``, ``top_p``, penalties, ``seed``,
  ``user``, ``stream``, ``stream_options``, ``logit_bias``, ``spidergate_options``, unknown
  keys) is the chat request's own and travels as it is.

The core runs the same translation on a body the bridge forwarded untyped, so its 400
comes after authentication (``proto_convert/request.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gate_service.errors import invalid
from gate_service.proto_convert.jsonvalues import as_bool, as_int, as_str

KIND = "completion"
# OpenAI's default max_tokens for /completions.
DEFAULT_MAX_TOKENS = 16
MAX_LOGPROBS = 5
# Chat keys whose answer (tool calls) a text completion cannot carry: refused, not lost.
CHAT_ONLY = ("tools", "tool_choice", "parallel_tool_calls", "functions", "function_call")


@dataclass(frozen=True, slots=True)
class LegacyCompletion:
    """A completions request: the chat request body it is served as, and what the answer
    needs to be turned back (the prompt, for ``echo``; ``logprobs``' legacy shape)."""

    chat: dict[str, Any]
    prompt: str
    echo: bool
    logprobs: int | None


def _prompt(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list) and len(value) == 1 and isinstance(value[0], str):
        return value[0]
    if isinstance(value, list) and value and all(isinstance(p, str) for p in value):
        raise invalid(
            f"'prompt' holds {len(value)} prompts; this gateway serves one prompt per "
            "request: send one request per prompt",
            "prompt",
        )
    if value is None:
        raise invalid("'prompt' is required", "prompt")
    raise invalid(
        "'prompt' must be a string or an array of one string (token-id prompts are not supported)",
        "prompt",
    )


def completion_to_chat(body: dict[str, Any]) -> LegacyCompletion:
    """The chat request a completions ``body`` is served as; a 400 naming the parameter
    for one it cannot honour (see the module docstring)."""
    rest = dict(body)
    if "messages" in rest:
        raise invalid(
            "'messages' is for /chat/completions; /completions takes 'prompt'", "messages"
        )
    for key in CHAT_ONLY:
        if rest.get(key) is not None:
            raise invalid(
                f"'{key}' is for /chat/completions: a text completion has no tool calls "
                "to answer with",
                key,
            )
    prompt = _prompt(rest.pop("prompt", None))
    suffix = rest.pop("suffix", None)
    if suffix is not None and as_str(suffix, "suffix") != "":
        raise invalid(
            "'suffix' (fill-in-the-middle) is not supported: the models behind this gateway "
            "are chat models, which take no suffix",
            "suffix",
        )
    echo = rest.pop("echo", None)
    echo = False if echo is None else as_bool(echo, "echo")
    logprobs = rest.pop("logprobs", None)
    if logprobs is not None:
        logprobs = as_int(logprobs, "logprobs")
        if not 0 <= logprobs <= MAX_LOGPROBS:
            raise invalid(f"'logprobs' must be between 0 and {MAX_LOGPROBS}", "logprobs")
        if echo:
            raise invalid(
                "'logprobs' with 'echo' asks for the prompt's logprobs, which chat models "
                "do not return",
                "logprobs",
            )
        rest["logprobs"] = True
        rest["top_logprobs"] = logprobs
    best_of = rest.pop("best_of", None)
    if best_of is not None:
        best_of = as_int(best_of, "best_of")
        n = rest.get("n")
        if best_of != 1 and best_of != (1 if n is None else n):
            raise invalid(
                "'best_of' above 'n' (generate more, return the likeliest) is not supported",
                "best_of",
            )
    if rest.get("max_tokens") is None and rest.get("max_completion_tokens") is None:
        rest["max_tokens"] = DEFAULT_MAX_TOKENS
    chat = {**rest, "messages": [{"role": "user", "content": prompt}]}
    return LegacyCompletion(chat, prompt, echo, logprobs)
