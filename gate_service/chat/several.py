"""``n > 1`` where the provider has no ``n``: the answers of ``n`` parallel calls merged
into one completion of ``n`` choices (``providers.params`` says where it is emulated).

Pure: the attempt (:class:`~gate_service.chat.attempts.CompletionCall`) makes the calls
on the same target. The merged usage is the sum of the calls' (each was billed by the
provider, prompt included), so the ledger meters every call; planning reserves ``n``
times the worst case (``Needs.choices``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from gate_service.domain import ChatRequest, Completion, Usage


def single(request: ChatRequest) -> ChatRequest:
    """The request each of the parallel calls sends: one answer."""
    return dataclasses.replace(request, n=None)


def merge_completions(parts: Sequence[Completion]) -> Completion:
    """One completion whose choices are each part's first choice, indexed 0..n-1; the
    first part's id, model and fields; the usage summed (None if no part reported any)."""
    merged = dataclasses.replace(parts[0], choices=[])
    for index, part in enumerate(parts):
        for choice in part.choices[:1]:
            merged.choices.append(dataclasses.replace(choice, index=index))
    merged.usage = sum_usage([p.usage for p in parts])
    return merged


def sum_usage(usages: Sequence[Usage | None]) -> Usage | None:
    """The calls' usage added up; detail counts stay None when no call reported them."""
    known = [u for u in usages if u is not None]
    if not known:
        return None

    def total(name: str) -> int | None:
        values = [getattr(u, name) for u in known if getattr(u, name) is not None]
        return sum(values) if values else None

    return Usage(
        prompt_tokens=sum(u.prompt_tokens for u in known),
        completion_tokens=sum(u.completion_tokens for u in known),
        total_tokens=sum(u.total_tokens for u in known),
        cached_tokens=total("cached_tokens"),
        reasoning_tokens=total("reasoning_tokens"),
    )
