"""The runner's world for its tests: routing over the bundled catalog and the mock key
pool (:mod:`tests.upstreams`), key health on an injected clock, and the chat attempts."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest

from gate_service.catalog.loader import load_bundled
from gate_service.catalog.snapshot import Catalog
from gate_service.chat.attempts import CompletionCall, chat_route
from gate_service.deadline import Deadline, unbounded
from gate_service.domain import ChatRequest, Completion
from gate_service.errors import GateError
from gate_service.providers.registry import default_adapters
from gate_service.routing.health import HealthBook
from gate_service.routing.outcome import Outcome, RequestContext
from gate_service.routing.plan import Planned
from gate_service.routing.router import Router
from gate_service.routing.runner import Call, Run
from mock_provider.server import MockServer
from tests.domain.build import chat_request
from tests.upstreams import GROQ_ONE, GROQ_TWO, mock_key_pool

CATALOG = Catalog(load_bundled())
GROQ, CEREBRAS, CLAUDE = "llama-3.1-8b-instant", "llama3.1-8b", "claude-3-5-haiku-latest"
ONE, TWO = GROQ_ONE, GROQ_TWO
TIMEOUT_S = 10.0
# The per-attempt timeout of the timeout rule's tests, and the upstream's delay.
SHORT_TIMEOUT_MS, DELAY_MS = 200, 3000


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Gate:
    """The runner's world for one test: fresh key health on a fake clock."""

    mock: MockServer
    session: aiohttp.ClientSession
    clock: Clock = field(default_factory=Clock)
    router: Router = field(init=False)

    def __post_init__(self) -> None:
        keys = mock_key_pool(self.mock.url)
        health = HealthBook(clock=self.clock, wall_clock=lambda: 1_800_000_000.0)
        self.router = Router(
            lambda: CATALOG, keys, default_adapters(), health=health, clock=self.clock
        )

    @property
    def health(self) -> HealthBook:
        return self.router.health

    def fault(self, **rule: Any) -> None:
        self.mock.state.add_fault(rule)

    def state(self, key_id: str) -> str:
        return self.health.key(key_id).state(self.clock())

    def run(
        self, deadline: Deadline | None = None, **body: Any
    ) -> tuple[Run, ChatRequest, list[Planned]]:
        body = {
            "model": "spideriq/fast",
            "messages": [{"role": "user", "content": "hi"}],
            **body,
        }
        options = body.setdefault("spidergate_options", {})
        options.setdefault("fallback_models", ["anthropic/" + CLAUDE])
        options.setdefault("timeout_ms", TIMEOUT_S * 1000)
        request = chat_request(body)
        planned = self.router.planner.prepare(RequestContext(None, "rid"), request)
        route = chat_route(request, planned, deadline or unbounded(), 60.0)
        return self.router.runner.run(route), request, planned

    async def complete(
        self, deadline: Deadline | None = None, *, wrap: Any = None, **body: Any
    ) -> tuple[Outcome, Completion]:
        run, request, _ = self.run(deadline, **body)
        call: Call[Completion] = CompletionCall(self.session, request)
        completion = await run.unary(wrap(call) if wrap else call)
        return run.outcome, completion

    async def fails(self, deadline: Deadline | None = None, **body: Any) -> tuple[Run, GateError]:
        run, request, _ = self.run(deadline, **body)
        with pytest.raises(GateError) as info:
            await run.unary(CompletionCall(self.session, request))
        return run, info.value


def options_for(rule: dict[str, Any]) -> dict[str, Any]:
    """A short per-attempt timeout for a delaying upstream; the default otherwise."""
    return {"timeout_ms": SHORT_TIMEOUT_MS} if rule["kind"] == "delay" else {}


def trace(outcome: Outcome) -> list[tuple[str, str, str, str]]:
    return [(a.provider, a.key, a.outcome, a.error_code) for a in outcome.attempts]


def attempts_of(exc: GateError) -> list[tuple[str, str, str]]:
    body = exc.body or {}
    return [
        (a["provider"], a["outcome"], a["error_code"]) for a in body["spidergate_error"]["attempts"]
    ]
