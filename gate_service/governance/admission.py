"""The governor's interface, as the chat path uses it, and the governor that allows all.

The chat path calls, before any provider::

    admission = await governor.admit(principal, worst_case_usd)   # or a GateError
    try:
        ...serve...
    except BaseException:
        await governor.release(admission)
        raise
    await governor.settle(admission, cost_usd)

and adds ``admission.headers`` to the response. ``settle`` and ``release`` are idempotent
and never raise: once the answer is served, a counter problem must not turn it into an
error.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from gate_service.auth.principal import Principal
from gate_service.governance.store import BudgetSlot


@dataclass(slots=True)
class Admission:
    """A request let through, and what it holds until it ends.

    ``headers``: ``X-RateLimit-Limit-Requests``, ``X-RateLimit-Remaining-Requests``,
    ``X-RateLimit-Reset`` when the token has a request limit, and
    ``X-SpiderGate-Budget-Warning`` when a soft budget is exceeded. ``member`` and
    ``budgets`` name the reservation (none when no budget applies).
    """

    headers: dict[str, str] = field(default_factory=dict)
    member: str = ""
    budgets: tuple[BudgetSlot, ...] = ()
    done: bool = False


class Governor(Protocol):
    """Per-token rate limits and per-token and per-brand budgets."""

    async def admit(self, principal: Principal, worst_case_usd: float) -> Admission:
        """Let the request through or raise ``GateError``: ``rate_limit_exceeded`` /
        ``daily_rate_limit_exceeded`` (429 with ``Retry-After`` and ``X-RateLimit-*``),
        ``budget_exceeded`` (402) for a hard budget the worst case does not fit in,
        ``service_unavailable`` (503) when a hard budget cannot be checked."""
        ...

    async def peek(self, principal: Principal) -> dict[str, str]:
        """The principal's ``X-RateLimit-*`` headers as they stand, counting nothing."""
        ...

    async def settle(self, admission: Admission, actual_usd: float) -> None:
        """The request succeeded: replace its reservation by its real cost."""
        ...

    async def release(self, admission: Admission) -> None:
        """The request failed: drop its reservation."""
        ...

    async def close(self) -> None: ...


class NullGovernor:
    """Admits everything, with no headers: no controls at all."""

    async def admit(self, principal: Principal, worst_case_usd: float) -> Admission:
        return Admission()

    async def peek(self, principal: Principal) -> dict[str, str]:
        return {}

    async def settle(self, admission: Admission, actual_usd: float) -> None:
        admission.done = True

    async def release(self, admission: Admission) -> None:
        admission.done = True

    async def close(self) -> None:
        return None
