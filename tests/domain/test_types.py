"""The domain types: slotted (built on every request), and the small derived readings."""

from __future__ import annotations

import dataclasses

import pytest

import gate_service.domain as domain
from gate_service.domain import ChatRequest, Message, StreamOptions

TYPES = [
    getattr(domain, name)
    for name in domain.__all__
    if dataclasses.is_dataclass(getattr(domain, name))
]


@pytest.mark.parametrize("kind", TYPES, ids=lambda k: k.__name__)
def test_every_type_is_slotted(kind: type) -> None:
    assert "__slots__" in vars(kind), kind
    assert "__dict__" not in dir(kind), kind


def test_max_output_prefers_the_current_name() -> None:
    hi = [Message("user", "hi")]
    assert ChatRequest("m", hi).max_output is None
    assert ChatRequest("m", hi, max_tokens=5).max_output == 5
    assert ChatRequest("m", hi, max_tokens=5, max_completion_tokens=7).max_output == 7


def test_wants_usage_only_when_asked() -> None:
    hi = [Message("user", "hi")]
    assert not ChatRequest("m", hi).wants_usage
    assert not ChatRequest("m", hi, stream_options=StreamOptions()).wants_usage
    assert ChatRequest("m", hi, stream_options=StreamOptions(include_usage=True)).wants_usage
