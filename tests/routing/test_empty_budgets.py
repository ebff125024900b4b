"""What routing learns from empty answers (routing/empty_budgets.py) and how planning
uses it (routing/plan.py): when a mark is set, raised, forgotten and merged, and the
verdicts of pre-dispatch qualification."""

from __future__ import annotations

import pytest

from gate_service.errors import GateError
from gate_service.providers.registry import default_adapters
from gate_service.routing.empty_budgets import EmptyBudgets, Measure
from gate_service.routing.plan import Needs, plan
from gate_service.routing.resolve import resolve
from tests.routing.test_controls import CATALOG, pool

M = "groq/llama-3.1-8b-instant"


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def book(**kw: float) -> tuple[EmptyBudgets, Clock]:
    clock = Clock()
    return EmptyBudgets(clock=clock, **kw), clock  # type: ignore[arg-type]


def test_an_empty_answer_marks_its_budget_and_a_larger_one_raises_it() -> None:
    budgets, _ = book()
    budgets.observe(M, None, empty=True, completion_tokens=0)  # no budget: nothing learnt
    assert budgets.known_empty(M) is None
    budgets.observe(M, 16, empty=True, completion_tokens=16)
    assert budgets.known_empty(M) == 16
    budgets.observe(M, 8, empty=True, completion_tokens=8)  # below the mark: no news
    assert budgets.known_empty(M) == 16
    budgets.observe(M, 32, empty=True, completion_tokens=32)
    assert budgets.known_empty(M) == 32
    assert [m for m, _ in budgets.take_pending()] == [M]
    assert budgets.take_pending() == []


def test_an_answer_that_could_have_fitted_clears_the_mark() -> None:
    budgets, _ = book()
    budgets.observe(M, 16, empty=True, completion_tokens=16)
    # A larger budget that needed more than the mark: what an empty-at-16 model does.
    budgets.observe(M, 64, empty=False, completion_tokens=40)
    assert budgets.known_empty(M) == 16
    # One that used no more than the mark would have fitted in it.
    budgets.observe(M, 64, empty=False, completion_tokens=12)
    assert budgets.known_empty(M) is None
    budgets.observe(M, 16, empty=True, completion_tokens=16)
    # An answer at or below the mark (a request planned before it was set).
    budgets.observe(M, 16, empty=False, completion_tokens=None)
    assert budgets.known_empty(M) is None
    assert [mark.budget for _, mark in budgets.take_pending()] == [None]


def test_a_mark_expires_and_memory_is_bounded() -> None:
    budgets, clock = book(ttl_s=60, max_models=2)
    budgets.observe(M, 16, empty=True, completion_tokens=0)
    clock.now += 61
    assert budgets.known_empty(M) is None
    for name in ("a/1", "b/2", "c/3"):
        budgets.observe(name, 16, empty=True, completion_tokens=0)
    assert [budgets.known_empty(n) for n in ("a/1", "b/2", "c/3")] == [None, 16, 16]


def test_stored_rows_merge_by_time() -> None:
    budgets, clock = book()
    budgets.observe(M, 16, empty=True, completion_tokens=0)
    # An older row (written before this process learnt) does not undo what it knows...
    budgets.merge([(M, Measure(None, clock.now - 5)), ("x/y", Measure(32, clock.now - 5))])
    assert (budgets.known_empty(M), budgets.known_empty("x/y")) == (16, 32)
    # ...a newer one (another replica cleared it since) does.
    budgets.merge([(M, Measure(None, clock.now + 1))])
    assert budgets.known_empty(M) is None
    assert budgets.take_pending() == []  # what came from the table is not written back


def _refused(needs: Needs, known: dict[str, int]) -> dict[str, object]:
    chain = resolve(CATALOG, needs.model)
    with pytest.raises(GateError) as refused:
        plan(chain, needs, None, pool(), default_adapters(), None, known.get)
    assert refused.value.code == "no_qualifying_model"
    body: dict[str, object] = refused.value.body["spidergate_error"]
    return body


def test_planning_drops_known_empty_and_over_ceiling_candidates() -> None:
    needs = Needs(model=M, max_output=16)
    assert _refused(needs, {M: 16}) == {
        "requested_model": M,
        "completion_budget": 16,
        "candidates": [
            {
                "provider": "groq",
                "model": "llama-3.1-8b-instant",
                "verdict": "known_empty_at_budget",
            }
        ],
    }
    # Above the mark it qualifies; without max_tokens nothing is known about the budget.
    for qualifies in (Needs(model=M, max_output=17), Needs(model=M)):
        chain = resolve(CATALOG, M)
        assert plan(chain, qualifies, None, pool(), default_adapters(), None, {M: 16}.get)
    ceiling = CATALOG.model(M)
    assert ceiling is not None
    over = Needs(model=M, max_output=ceiling.max_output_tokens + 1)
    verdicts = _refused(over, {})["candidates"]
    assert [c["verdict"] for c in verdicts] == ["exceeds_tier_ceiling"]  # type: ignore[attr-defined]
