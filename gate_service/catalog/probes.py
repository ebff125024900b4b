"""The probe-backed catalogue: for each configured model, whether it can call tools and how
its last probe went, found by asking it (``spidergate catalog probe``) rather than
trusting the catalog data, which says what a model *should* do.

A probe is two real calls through the model's wire adapter, outside routing (no budget,
no ledger, no key health): one plain (``ping``), then, if that answered, one that offers a
tool and requires a call. The verdict (``last_probe_status``):

- ``ok``: both answered, and the second called the tool (``supports_tools`` true);
- ``no_tools``: the plain call answered, the tool call was refused (400, or 404 as
  OpenRouter answers "no endpoints that support tool use") or answered in text without
  calling (``supports_tools`` false);
- ``delisted``: the provider does not know the model (404 / model not found);
- ``error``: anything else (the key, a rate limit, a timeout, an empty answer to the
  tool call): ``supports_tools`` stays unknown (None) rather than a guess.

Read side: :class:`ProbeBook` is what a running gateway knows (loaded from the
``model_probe`` table at start and on every refresh, so a probe run from the CLI shows up
within ``refresh_interval_s``). ``core.probes.supports_tools(model_id)`` is the question
alias administration asks before it lets a model into a tool alias.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import aiohttp

from gate_service.catalog.probe_store import ProbeResult
from gate_service.catalog.schema import ModelInfo, ProviderInfo
from gate_service.catalog.snapshot import Catalog
from gate_service.chat.emptiness import is_empty
from gate_service.domain import ChatRequest, Completion, FunctionDef, Message, Tool, ToolChoice
from gate_service.providers.base import FailureKind, Target, UpstreamFailure, WireAdapter
from gate_service.providers.transport import post
from gate_service.vault.records import mask

STATUSES = ("ok", "no_tools", "delisted", "error")
PROBE_TIMEOUT_S = 30.0
# Enough for a short answer; and for one small tool call, with room for a little thinking.
_PLAIN_MAX_TOKENS = 16
_TOOL_MAX_TOKENS = 256
_TOOL = Tool(
    function=FunctionDef(
        name="get_time",
        description="The current time in a city.",
        parameters={
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
        },
    )
)


class ProbeBook:
    """The last probe verdict of each model, by catalog id (``provider/model``)."""

    def __init__(self, results: Iterable[ProbeResult] = ()) -> None:
        self._results = {r.model_id: r for r in results}

    def replace(self, results: Iterable[ProbeResult]) -> None:
        self._results = {r.model_id: r for r in results}

    def result(self, model_id: str) -> ProbeResult | None:
        return self._results.get(model_id)

    def supports_tools(self, model_id: str) -> bool | None:
        """True / False as the last probe found; None when never probed or it could not
        tell (its status was ``error`` or ``delisted``)."""
        result = self._results.get(model_id)
        return None if result is None else result.supports_tools

    def status(self, model_id: str) -> str | None:
        """``ok``, ``no_tools``, ``delisted``, ``error``; None when never probed."""
        result = self._results.get(model_id)
        return None if result is None else result.status


@dataclass(frozen=True, slots=True)
class ProbeKey:
    """A key to probe a provider's models with: its secret and the address it uses."""

    provider: str
    secret: str
    base_url: str | None


def configured_models(
    catalog: Catalog,
    adapters: Mapping[str, WireAdapter],
    keys: Sequence[ProbeKey],
    only: Callable[[ModelInfo], bool] = lambda _: True,
) -> list[tuple[ModelInfo, ProbeKey]]:
    """The chat models of every provider that has a key (and a wire adapter), each with
    the first such key, in catalog order."""
    first: dict[str, ProbeKey] = {}
    for key in keys:
        first.setdefault(key.provider, key)
    out = []
    for model in catalog.models:
        provider = catalog.provider(model.provider)
        usable = first.get(model.provider)
        if (
            provider is not None
            and usable is not None
            and provider.api_format in adapters
            and model.has("chat")
            and only(model)
        ):
            out.append((model, usable))
    return out


async def probe_model(
    session: aiohttp.ClientSession,
    provider: ProviderInfo,
    adapter: WireAdapter,
    model: ModelInfo,
    key: ProbeKey,
    *,
    timeout_s: float = PROBE_TIMEOUT_S,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> ProbeResult:
    """Probe one model (see the module docstring for the verdicts)."""
    target = Target(
        provider=provider,
        model=model.provider_model,
        base_url=key.base_url or provider.base_url or "",
        secret=key.secret,
        key_id="probe",
        key_preview=mask(key.secret),
    )

    def result(supports_tools: bool | None, status: str) -> ProbeResult:
        return ProbeResult(model.id, supports_tools, status, now())

    if not target.base_url or "{" in target.base_url:
        return result(None, "error")  # a provider that needs a per-key address got none
    plain = ChatRequest(
        model.provider_model, [Message("user", "ping")], max_tokens=_PLAIN_MAX_TOKENS
    )
    try:
        await _call(session, adapter, target, plain, timeout_s)
    except UpstreamFailure as failure:
        delisted = failure.kind is FailureKind.MODEL_NOT_FOUND
        return result(None, "delisted" if delisted else "error")
    with_tool = ChatRequest(
        model.provider_model,
        [Message("user", "What time is it in Paris? Use the tool.")],
        max_tokens=_TOOL_MAX_TOKENS,
        tools=[_TOOL],
        tool_choice=ToolChoice(mode="required"),
    )
    try:
        answer = await _call(session, adapter, target, with_tool, timeout_s)
    except UpstreamFailure as failure:
        # The model answered a moment ago: a refusal of this request is about the tool.
        if failure.kind in (FailureKind.BAD_REQUEST, FailureKind.MODEL_NOT_FOUND):
            return result(False, "no_tools")
        return result(None, "error")
    if any(choice.message.tool_calls for choice in answer.choices):
        return result(True, "ok")
    if is_empty(answer):
        # Nothing at all (a reasoning model that spent the budget thinking): that says
        # nothing about tools.
        return result(None, "error")
    return result(False, "no_tools")


async def _call(
    session: aiohttp.ClientSession,
    adapter: WireAdapter,
    target: Target,
    request: ChatRequest,
    timeout_s: float,
) -> Completion:
    upstream = adapter.build_request(target, request, stream=False)
    response = await post(session, upstream, timeout_s)
    if response.status >= 400:
        raise adapter.classify_error(response.status, response.headers, response.body)
    return adapter.parse_response(target, response.body)
