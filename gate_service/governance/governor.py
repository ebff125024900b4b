"""The governor: a principal's controls turned into one atomic ``admit`` on a counter store.

For each request it builds the token's windows (per minute, per day) and the budgets that
apply (the token's and the brand's, for the brand's current billing period), makes sure
each budget counter holds at least what the ledger says was spent, and asks the store to
admit the request and reserve its worst-case cost in one step. Exactness is the store's
(see :mod:`gate_service.governance.store`); this module only decides what to ask and how
to answer.

**When the store is unavailable** (Redis down, unreachable or timing out), per control:

- **hard budgets fail closed**: a request under a hard budget (the token's or its
  brand's) gets 503 ``service_unavailable`` ("budget store unavailable"), never an
  unchecked provider call: a budget is money, and overspending cannot be undone.
- **rate limits fail open**: the request goes through without a rate check (and without
  ``X-RateLimit-*`` headers). The provider accounts enforce limits of their own, and
  refusing all traffic because the limiter's store is down would turn a Redis outage
  into a full gateway outage.
- **soft budgets fail open** too: they never block, so they keep not blocking.

Each outage is logged as one warning per minute (not per request), naming this policy;
settles that could not be written are kept (bounded) and replayed once the store is
back, so spend is not lost to an outage. The same holds for the ledger that seeds the
counters: if a hard budget's counter was never seeded and the database cannot say what
was spent, that request gets 503 too.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Literal

from gate_service.auth.principal import Principal
from gate_service.errors import GateError
from gate_service.governance import answers
from gate_service.governance.admission import Admission
from gate_service.governance.answers import DAY_MS, MINUTE_MS, Scope
from gate_service.governance.ledger import SpendSource
from gate_service.governance.outage import OutageLog
from gate_service.governance.periods import BillingPeriod, billing_period
from gate_service.governance.store import (
    AdmitRequest,
    BudgetSlot,
    CounterStore,
    StoreUnavailable,
    Window,
    to_nano,
)

log = logging.getLogger("spidergate.governance")

# Longer than any request may run (fallbacks and streams included); a reservation whose
# replica died frees its budget after this long.
RESERVATION_TTL_S = 900.0
# How often an active counter is raised to the ledger's sum again (never lowered).
RESYNC_INTERVAL_S = 300.0
# Budget counters outlive their period this long, for settles of requests in flight.
_PERIOD_GRACE = timedelta(days=3)
# Settles kept while the store is down, replayed when it is back.
_PENDING_MAX = 10_000
# Counters remembered as seeded; past this many (old periods, idle tokens) the memory is
# dropped, which only costs a ledger query per counter in use.
_SYNCED_MAX = 100_000

STORE_POLICY = (
    "rate limits are NOT enforced (fail open) and requests under a hard budget get 503 "
    "(fail closed) until it is back"
)
LEDGER_POLICY = (
    "budget counters not yet seeded cannot be checked: requests under such a hard budget "
    "get 503 (fail closed)"
)

Pending = tuple[Literal["settle", "release"], tuple[BudgetSlot, ...], str, int]


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def _windows(principal: Principal) -> tuple[Window, ...]:
    token, controls = principal.token_id, principal.controls
    if token is None:
        return ()
    prefix = f"{{{principal.client_id}}}:rate:{token}"
    windows = []
    if controls.rpm is not None:
        windows.append(Window(f"{prefix}:m", MINUTE_MS, controls.rpm))
    if controls.rpd is not None:
        windows.append(Window(f"{prefix}:d", DAY_MS, controls.rpd))
    return tuple(windows)


class CountingGovernor:
    """:class:`~gate_service.governance.admission.Governor` over a counter store.

    ``spend`` seeds counters from the ledger (None: start from zero). ``clock`` gives
    epoch seconds for billing periods; ``monotonic`` paces resyncs and warnings.
    """

    def __init__(
        self,
        store: CounterStore,
        spend: SpendSource | None,
        *,
        store_name: str = "counter store",
        reservation_ttl_s: float = RESERVATION_TTL_S,
        resync_interval_s: float = RESYNC_INTERVAL_S,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._store = store
        self._spend = spend
        self._reservation_ttl_ms = int(reservation_ttl_s * 1000)
        self._resync_interval_s = resync_interval_s
        self._clock = clock
        self._monotonic = monotonic
        self._synced: dict[str, float] = {}
        self._seeding: dict[str, asyncio.Task[bool]] = {}
        self._pending: deque[Pending] = deque(maxlen=_PENDING_MAX)
        self._store_outage = OutageLog(log, f"Governance {store_name}", STORE_POLICY)
        self._ledger_outage = OutageLog(log, "Spend ledger (database)", LEDGER_POLICY)

    # ------------------------------------------------------------------ admit

    def _budgets(
        self, principal: Principal, period: BillingPeriod
    ) -> list[tuple[Scope, BudgetSlot, str | None]]:
        """(scope, slot, token id or None for the brand) for every budget that applies."""
        expire = _ms(period.end + _PERIOD_GRACE)
        cid = principal.client_id
        found: list[tuple[Scope, BudgetSlot, str | None]] = []
        token, brand = principal.controls, principal.brand_controls
        if principal.token_id is not None and token.budget_usd is not None:
            key = f"{{{cid}}}:budget:token:{principal.token_id}:{period.key}"
            slot = BudgetSlot(key, to_nano(token.budget_usd), token.budget_mode == "hard", expire)
            found.append((Scope("token", slot.cap_nano), slot, principal.token_id))
        if brand.budget_usd is not None:
            key = f"{{{cid}}}:budget:brand:{period.key}"
            slot = BudgetSlot(key, to_nano(brand.budget_usd), brand.budget_mode == "hard", expire)
            found.append((Scope("brand", slot.cap_nano), slot, None))
        return found

    async def admit(self, principal: Principal, worst_case_usd: float) -> Admission:
        windows = _windows(principal)
        token_budget = principal.token_id is not None and principal.controls.budget_usd is not None
        if not windows and not token_budget and principal.brand_controls.budget_usd is None:
            return Admission()  # nothing to count: no store call, no headers
        now = datetime.fromtimestamp(self._clock(), UTC)
        period = billing_period(now, principal.brand_controls.billing_anchor_day)
        budgets = self._budgets(principal, period)
        slots = tuple(slot for _, slot, _ in budgets)
        for _, slot, token_id in budgets:
            seeded = await self._seeded(principal.client_id, token_id, slot, period)
            if not seeded and slot.hard:
                raise _unavailable("the spend ledger cannot be read")
        await self._replay_pending()
        amount = to_nano(worst_case_usd)
        request = AdmitRequest(uuid.uuid4().hex, windows, slots, amount, self._reservation_ttl_ms)
        try:
            result = await self._store.admit(request)
        except StoreUnavailable as exc:
            self._store_outage.failed(str(exc))
            if any(slot.hard for slot in slots):
                raise _unavailable("the budget store is unavailable") from None
            return Admission()
        self._store_outage.recovered()
        headers = answers.rate_headers(windows, result.windows)
        if result.refused_window is not None:
            i = result.refused_window
            raise answers.rate_error(windows[i], result.windows[i])
        if result.refused_budget is not None:
            j = result.refused_budget
            scope = budgets[j][0]
            raise answers.budget_error(scope, result.budgets[j], amount, headers)
        warnings = [
            answers.budget_warning(scope, state, amount)
            for (scope, slot, _), state in zip(budgets, result.budgets, strict=True)
            if not slot.hard
        ]
        if any(warnings):
            headers[answers.BUDGET_WARNING] = "; ".join(w for w in warnings if w)
        return Admission(headers=headers, member=request.member, budgets=slots)

    async def peek(self, principal: Principal) -> dict[str, str]:
        """The token's ``X-RateLimit-*`` as they stand, counting nothing: for every
        authenticated answer that is not a chat request (usage, traces, the catalog, and
        errors raised before admission). Empty without limits or when the store is down
        (rate limits fail open, so there is nothing truthful to report)."""
        windows = _windows(principal)
        if not windows:
            return {}
        try:
            states = await self._store.peek(windows)
        except StoreUnavailable as exc:
            self._store_outage.failed(str(exc))
            return {}
        self._store_outage.recovered()
        return answers.rate_headers(windows, states)

    # ------------------------------------------------------------------ seeding

    async def _seeded(
        self, client_id: str, token_id: str | None, slot: BudgetSlot, period: BillingPeriod
    ) -> bool:
        """Whether the counter holds at least the ledger's spend (seeding it if due).

        A counter seeded before stays usable when a later resync fails. Concurrent
        requests share one ledger query per counter.
        """
        synced_at = self._synced.get(slot.key)
        if synced_at is not None and self._monotonic() - synced_at < self._resync_interval_s:
            return True
        task = self._seeding.get(slot.key)
        if task is None:
            task = asyncio.create_task(self._seed(client_id, token_id, slot, period))
            self._seeding[slot.key] = task
            task.add_done_callback(lambda _: self._seeding.pop(slot.key, None))
        ok = await asyncio.shield(task)
        return ok or synced_at is not None

    async def _seed(
        self, client_id: str, token_id: str | None, slot: BudgetSlot, period: BillingPeriod
    ) -> bool:
        spent = 0.0
        if self._spend is not None:
            try:
                spent = await asyncio.to_thread(
                    self._spend.spent_usd, client_id, token_id, period.start, period.end
                )
            except Exception as exc:  # any database failure: the policy decides
                self._ledger_outage.failed(f"{type(exc).__name__}: {exc}")
                return False
            self._ledger_outage.recovered()
        try:
            await self._store.seed(slot, to_nano(spent))
        except StoreUnavailable as exc:
            self._store_outage.failed(str(exc))
            return False
        if len(self._synced) >= _SYNCED_MAX:
            self._synced.clear()
        self._synced[slot.key] = self._monotonic()
        return True

    # ------------------------------------------------------------------ settle

    async def settle(self, admission: Admission, actual_usd: float) -> None:
        if admission.done:
            return
        admission.done = True
        if admission.budgets:
            op: Pending = ("settle", admission.budgets, admission.member, to_nano(actual_usd))
            await self._apply(op)

    async def release(self, admission: Admission) -> None:
        if admission.done:
            return
        admission.done = True
        if admission.budgets:
            await self._apply(("release", admission.budgets, admission.member, 0))

    async def _apply(self, op: Pending, *, replaying: bool = False) -> bool:
        kind, budgets, member, actual = op
        try:
            if kind == "settle":
                await self._store.settle(budgets, member, actual)
            else:
                await self._store.release(budgets, member)
        except StoreUnavailable as exc:
            self._store_outage.failed(str(exc))
            if not replaying:
                self._pending.append(op)
            return False
        return True

    async def _replay_pending(self) -> None:
        """Write the settles an outage held back, oldest first, until one fails."""
        while self._pending:
            if not await self._apply(self._pending[0], replaying=True):
                return
            self._pending.popleft()

    async def close(self) -> None:
        await self._replay_pending()
        await self._store.close()


def _unavailable(why: str) -> GateError:
    return GateError(
        "service_unavailable",
        f"Budget store unavailable: {why}, and this request is under a hard budget; retry shortly.",
        headers={answers.RETRY_AFTER: "1"},
    )
