"""What the client sees of the controls: rate-limit headers, 429 and 402 errors, the soft
budget warning. Pure functions of the store's answer, so they are tested alone."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from gate_service.errors import GateError
from gate_service.governance.store import BudgetState, Window, WindowState, to_usd

LIMIT = "X-RateLimit-Limit-Requests"
REMAINING = "X-RateLimit-Remaining-Requests"
RESET = "X-RateLimit-Reset"
RETRY_AFTER = "Retry-After"
BUDGET_WARNING = "X-SpiderGate-Budget-Warning"

MINUTE_MS = 60_000
DAY_MS = 86_400_000


@dataclass(frozen=True, slots=True)
class Scope:
    """Whose budget a slot counts: ``token`` or ``brand``, for messages."""

    label: str
    cap_nano: int

    @property
    def cap_usd(self) -> float:
        return to_usd(self.cap_nano)


def usd(amount: float) -> str:
    """``$0.01``, ``$0.0010125``, ``$12.50``: cents always, more digits only when needed."""
    text = f"{amount:.7f}".rstrip("0")
    whole, _, decimals = text.partition(".")
    return f"${whole}.{decimals.ljust(2, '0')}"


def _seconds(ms: int) -> str:
    return str(max(1, math.ceil(ms / 1000)))


def rate_headers(windows: Sequence[Window], states: Sequence[WindowState]) -> dict[str, str]:
    """``X-RateLimit-*`` for the window with the fewest requests left (the minute window
    on a tie): the one a client must pace itself by. Empty without windows."""
    if not windows:
        return {}
    remaining = [max(0, w.limit - s.count) for w, s in zip(windows, states, strict=True)]
    i = min(range(len(windows)), key=lambda k: (remaining[k], k))
    return {
        LIMIT: str(windows[i].limit),
        REMAINING: str(remaining[i]),
        RESET: _seconds(states[i].reset_ms),
    }


def rate_error(window: Window, state: WindowState) -> GateError:
    """429 for a full window, with ``Retry-After`` = when its oldest request leaves."""
    daily = window.span_ms >= DAY_MS
    code = "daily_rate_limit_exceeded" if daily else "rate_limit_exceeded"
    what = "Daily rate limit" if daily else "Rate limit"
    unit = "day" if daily else "minute" if window.span_ms == MINUTE_MS else "window"
    wait = _seconds(state.reset_ms)
    return GateError(
        code,
        f"{what} exceeded: {state.count + 1}/{window.limit} requests per {unit}. "
        f"Retry after {wait} s.",
        headers={LIMIT: str(window.limit), REMAINING: "0", RESET: wait, RETRY_AFTER: wait},
    )


def budget_error(
    scope: Scope, state: BudgetState, amount_nano: int, headers: dict[str, str]
) -> GateError:
    """402 for a hard budget the request's worst case does not fit in: spend vs cap."""
    spent, reserved = to_usd(state.spent_nano), to_usd(state.reserved_nano)
    return GateError(
        "budget_exceeded",
        f"Budget exceeded: the {scope.label}'s hard monthly budget is {usd(scope.cap_usd)}; "
        f"{usd(spent)} spent and {usd(reserved)} reserved by requests in flight this "
        f"period, and this request may cost up to {usd(to_usd(amount_nano))}.",
        headers=headers,
    )


def budget_warning(scope: Scope, state: BudgetState, amount_nano: int) -> str | None:
    """The warning for a soft budget this request takes (or has taken) over its cap."""
    if state.spent_nano + state.reserved_nano + amount_nano <= scope.cap_nano:
        return None
    spent = usd(to_usd(state.spent_nano))
    return f"{scope.label} soft budget exceeded: {spent} spent of {usd(scope.cap_usd)} this period"
