"""What routing has measured about empty completions: per model, the largest ``max_tokens``
at which it answered 200 with nothing in it (no text, no tool call). Planning drops such a
candidate for any request whose budget is at most that (verdict ``known_empty_at_budget``)
before a provider is called: a reasoning model that spends a small budget thinking
answers nothing, is billed for it, and the client pays for an empty answer.

**Learning.** The first empty answer at a budget is what measures it (the client gets it
as before: nothing in the gateway could know). A model measured empty at 16 is assumed
empty below 16 too (fewer tokens to think in); a later empty answer at 32 raises the mark.

**Forgetting.** A measurement is forgotten when

- the model answers with content at a budget at or below the mark (a concurrent request
  that was planned before the mark was set, or a fallback the filter let through), or at
  any budget using no more completion tokens than the mark (it would have fitted in the
  mark: the model can answer within it after all);
- it is older than ``ttl_s`` (one day by default): providers change models behind an id,
  and nothing else would ever send the model a request at that budget again to find out.

A non-empty answer at a *higher* budget that needed more tokens than the mark clears
nothing: it is what a model that is empty at the mark does at a larger budget.

**Memory and persistence.** At most ``max_models`` entries (the oldest measurement goes
first). Changes are kept as pending until the owner writes them (the core does on its
refresh loop and at shutdown: ``model_probe.empty_at_budget``), and rows read back merge
in by time (the latest measurement or clearing of a model wins), so a restart keeps what
was learnt and replicas learn from each other within a refresh interval.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

# A day: long enough that a bad model stays skipped through a working day's traffic,
# short enough that a provider's fix is noticed without an operator.
DEFAULT_TTL_S = 86_400.0
DEFAULT_MAX_MODELS = 4096


@dataclass(frozen=True, slots=True)
class Measure:
    """A model's mark (``budget``; None: cleared) and when it was set or cleared
    (seconds since the epoch, the same clock in every replica)."""

    budget: int | None
    at: float


class EmptyBudgets:
    """Per model id (catalog id ``provider/model``), the budget at or below which it has
    been measured answering empty; see the module docstring."""

    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.time,
        ttl_s: float = DEFAULT_TTL_S,
        max_models: int = DEFAULT_MAX_MODELS,
    ) -> None:
        self.clock = clock
        self.ttl_s = ttl_s
        self.max_models = max_models
        self._marks: OrderedDict[str, Measure] = OrderedDict()
        self._pending: dict[str, Measure] = {}

    def known_empty(self, model_id: str) -> int | None:
        """The budget at or below which ``model_id`` answers empty, if measured and fresh."""
        mark = self._marks.get(model_id)
        if mark is None or mark.budget is None:
            return None
        if self.clock() - mark.at > self.ttl_s:
            return None
        return mark.budget

    def observe(
        self, model_id: str, budget: int | None, *, empty: bool, completion_tokens: int | None
    ) -> None:
        """Learn from one served answer of ``model_id`` to a request with ``budget``
        (``max_tokens``; None: not set, nothing to learn from)."""
        if budget is None or budget <= 0:
            return
        known = self.known_empty(model_id)
        if empty:
            if known is None or budget > known:
                self._set(model_id, Measure(budget, self.clock()))
            return
        if known is None:
            return
        fitted = completion_tokens is not None and 0 < completion_tokens <= known
        if budget <= known or fitted:
            self._set(model_id, Measure(None, self.clock()))

    def merge(self, rows: Iterable[tuple[str, Measure]]) -> None:
        """Take in stored measurements newer than what this process knows (another
        replica's, or this one's from before a restart)."""
        for model_id, row in rows:
            mine = self._pending.get(model_id) or self._marks.get(model_id)
            if mine is None or row.at > mine.at:
                self._pending.pop(model_id, None)
                self._put(model_id, row)

    def take_pending(self) -> list[tuple[str, Measure]]:
        """The changes not yet written, handed over once (the writer puts them back with
        :meth:`restore_pending` if the write fails)."""
        pending = list(self._pending.items())
        self._pending.clear()
        return pending

    def restore_pending(self, changes: Iterable[tuple[str, Measure]]) -> None:
        for model_id, mark in changes:
            self._pending.setdefault(model_id, mark)

    def clear(self) -> None:
        self._marks.clear()
        self._pending.clear()

    def _set(self, model_id: str, mark: Measure) -> None:
        self._put(model_id, mark)
        self._pending[model_id] = mark

    def _put(self, model_id: str, mark: Measure) -> None:
        self._marks[model_id] = mark
        self._marks.move_to_end(model_id)
        while len(self._marks) > self.max_models:
            self._marks.popitem(last=False)
