"""What each wire format does with each chat request parameter: the one table.

A gateway must never change what the client gets back without saying so. So every
parameter a client may set is, per wire format (and per vendor, where the catalog's
``rejected_params`` says the vendor answers it with a 400):

* **honoured**: sent upstream in the format's own terms;
* **emulated**: the gateway produces the effect itself (``n`` by parallel calls; JSON
  output on Anthropic by a forced tool);
* **refused**: a candidate that cannot honour it is filtered at planning (422
  ``no_qualifying_model`` with verdicts from an alias, 400 naming the parameter for a
  pinned model) — for parameters that change the answer;
* **dropped-and-named**: left out, and named in the ``X-SpiderGate-Dropped-Params``
  response header — only for parameters that do not change the answer's content
  (``seed``, ``user``, ``service_tier``...).

Planning (:mod:`gate_service.routing.plan`) reads :func:`refused`, the chat answer
:func:`dropped`, the attempt :func:`emulates_n`; the README's table is
:func:`readme_table` (a test checks they match). A parameter set to its neutral value
(``n: 1``, a penalty of 0, ``logprobs: false``...) asks for nothing and is not counted.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from typing import TYPE_CHECKING

from gate_service.domain import ChatRequest
from gate_service.providers.anthropic import ANTHROPIC_VERSION
from gate_service.providers.anthropic_request import accepts_sampling

if TYPE_CHECKING:
    from gate_service.catalog.schema import ProviderInfo

DROPPED_HEADER = "X-SpiderGate-Dropped-Params"


class Handling(StrEnum):
    HONOURED = "honoured"
    EMULATED = "emulated"
    REFUSED = "refused"
    DROPPED = "dropped-and-named"


H, E, R, D = Handling.HONOURED, Handling.EMULATED, Handling.REFUSED, Handling.DROPPED

# The wire formats, in the README's column order, with their column titles.
FORMATS = {"openai": "openai-compatible", "anthropic": "anthropic", "gemini": "gemini"}

# parameter -> handling per wire format (openai, anthropic, gemini). Rows are the
# parameters a chat request may carry besides model and messages.
TABLE: dict[str, tuple[Handling, Handling, Handling]] = {
    "max_tokens / max_completion_tokens": (H, H, H),
    "temperature": (H, H, H),
    "top_p": (H, H, H),
    "top_k": (H, H, H),
    "stop": (H, H, H),
    "tools": (H, H, H),
    "tool_choice": (H, H, H),
    "parallel_tool_calls": (H, H, D),
    "response_format": (H, E, H),
    "n": (H, E, H),
    "logprobs": (H, R, H),
    "top_logprobs": (H, R, H),
    "seed": (H, D, H),
    "presence_penalty": (H, R, H),
    "frequency_penalty": (H, R, H),
    "logit_bias": (H, R, R),
    "user": (H, H, D),
    "service_tier": (H, D, D),
    "metadata": (H, D, D),
    "store": (H, D, D),
    "reasoning_effort": (H, R, R),
    "prediction": (H, R, R),
    "modalities": (H, R, R),
    "audio": (H, R, R),
    "web_search_options": (H, R, R),
    "verbosity": (H, R, R),
    "functions / function_call": (H, R, R),
}

# An OpenAI-compatible vendor that lists a parameter in ``rejected_params`` (it answers it
# with a 400): what the gateway does instead. Anything not here is refused.
WHEN_REJECTED: dict[str, Handling] = {
    "n": E,
    "seed": D,
    "user": D,
    "service_tier": D,
    "metadata": D,
    "store": D,
    "parallel_tool_calls": D,
}

# Table row -> the request's parameter names it covers.
_ROWS = {row: tuple(n.strip() for n in row.split("/")) for row in TABLE}
_BY_PARAM: dict[str, tuple[Handling, Handling, Handling]] = {
    param: TABLE[row] for row, params in _ROWS.items() for param in params
}
_COLUMN = {fmt: i for i, fmt in enumerate(FORMATS)}
# Request fields the table does not cover because every format honours them by
# construction (the conversation itself, streaming, our own options).
_STRUCTURAL = frozenset({"model", "messages", "stream", "stream_options"})


def request_params(request: ChatRequest) -> tuple[str, ...]:
    """The parameters ``request`` actually asks for: set, and not to a neutral value."""
    r = request
    checks = {
        "max_tokens": r.max_tokens is not None,
        "max_completion_tokens": r.max_completion_tokens is not None,
        "temperature": r.temperature is not None,
        "top_p": r.top_p is not None,
        "stop": bool(r.stop),
        "tools": bool(r.tools),
        "tool_choice": r.tool_choice is not None,
        "parallel_tool_calls": r.parallel_tool_calls is False,
        "response_format": r.response_format is not None and r.response_format.type != "text",
        "n": (r.n or 1) > 1,
        "logprobs": bool(r.logprobs),
        "top_logprobs": bool(r.logprobs) and bool(r.top_logprobs),
        "seed": r.seed is not None,
        "presence_penalty": bool(r.presence_penalty),
        "frequency_penalty": bool(r.frequency_penalty),
        "user": r.user is not None,
    }
    asked = [name for name, on in checks.items() if on]
    asked.extend(k for k, v in r.extra.items() if k not in _STRUCTURAL and not _neutral(k, v))
    return tuple(asked)


def _neutral(name: str, value: object) -> bool:
    """An extra field that asks for nothing (``logit_bias: {}``, ``metadata: null``...)."""
    return value is None or value == {} or value == [] or (name == "store" and value is False)


def handling(provider: ProviderInfo, param: str) -> Handling:
    """What happens to ``param`` when ``provider`` serves the request."""
    fmt = provider.api_format
    column = _COLUMN.get(fmt, 0)
    row = _BY_PARAM.get(param)
    # A field no table row names: passed through as sent on the OpenAI wire (the
    # vendor judges it), dropped and named on wires that have no place for it.
    base = row[column] if row else (H if fmt == "openai" else D)
    if param in provider.rejected_params and base is H:
        return WHEN_REJECTED.get(param, R)
    return base


def refused(provider: ProviderInfo, params: Iterable[str], *, stream: bool) -> list[str]:
    """The asked-for parameters ``provider`` cannot honour (its candidates are filtered).
    Streaming ``n`` where it is emulated is refused too: the parallel answers are not
    merged into one stream (a client that needs it can ask without streaming)."""
    out = []
    for param in params:
        how = handling(provider, param)
        if how is R or (how is E and param == "n" and stream):
            out.append(param)
    return out


def dropped(provider: ProviderInfo, model: str, params: Iterable[str]) -> list[str]:
    """The asked-for parameters left out when ``model`` of ``provider`` serves: the header
    names them. Besides the table's, Anthropic's sampling rules drop some per model:
    models that no longer take ``temperature``/``top_p``/``top_k`` get none of them, and
    the others refuse the first two together, so ``top_p`` gives way to ``temperature``."""
    params = list(params)
    out = [p for p in params if handling(provider, p) is D]
    if provider.api_format == "anthropic":
        version = dict(provider.headers).get("anthropic-version", ANTHROPIC_VERSION)
        sampling = [p for p in ("temperature", "top_p", "top_k") if p in params]
        if not accepts_sampling(model, version):
            out.extend(sampling)
        elif "temperature" in sampling and "top_p" in sampling:
            out.append("top_p")
    return out


def emulates_n(provider: ProviderInfo) -> bool:
    """Whether ``n > 1`` is served by parallel calls rather than by the upstream."""
    return handling(provider, "n") is E


def readme_table() -> str:
    """The README's table (Markdown), rendered from :data:`TABLE` and the vendors'
    exceptions, so the two cannot drift (``tests/providers/test_params.py``)."""
    head = "| parameter | " + " | ".join(FORMATS.values()) + " |"
    lines = [head, "|" + "---|" * (len(FORMATS) + 1)]
    for row, cells in TABLE.items():
        openai = cells[0].value
        params = _ROWS[row]
        exceptions = sorted({str(WHEN_REJECTED.get(p, R)) for p in params if p in REJECTABLE})
        if exceptions and cells[0] is H:
            openai += " (" + ", ".join(exceptions) + " where the vendor rejects it)"
        lines.append(f"| `{row}` | {openai} | {cells[1].value} | {cells[2].value} |")
    return "\n".join(lines)


# Parameters some catalog vendor lists in ``rejected_params``, so that the README names the
# exception (a test checks every one the catalog lists is here).
REJECTABLE = frozenset(
    {
        "n",
        "logprobs",
        "top_logprobs",
        "logit_bias",
        "frequency_penalty",
        "presence_penalty",
        "parallel_tool_calls",
        "service_tier",
        "user",
        "functions",
        "function_call",
    }
)
