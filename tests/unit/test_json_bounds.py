"""The pure checks behind the JSON bounds: nesting depth, and numbers read into proto
fields of a given width (from clients: a 400; from an upstream: clamped)."""

from __future__ import annotations

from typing import Any

import pytest

from gate_service.chat.validation import check_depth, too_deep, validate_chat_request
from gate_service.errors import GateError
from gate_service.proto_convert.completion import completion_to_proto
from gate_service.proto_convert.jsonvalues import INT32, INT64, as_float, as_int, as_int32


def _nest(levels: int) -> Any:
    value: Any = 1
    for i in range(levels):
        value = [value] if i % 2 else {"k": value}
    return value


@pytest.mark.parametrize("levels", [1, 5, 63, 64])
def test_within_the_bound(levels: int) -> None:
    assert not too_deep(_nest(levels), 64)
    check_depth(_nest(levels), 64)


@pytest.mark.parametrize("levels", [65, 300, 5_000])
def test_past_the_bound_names_the_path(levels: int) -> None:
    assert too_deep(_nest(levels), 64)
    with pytest.raises(GateError) as caught:
        check_depth({"tools": [{"function": {"parameters": _nest(levels)}}]}, 64)
    assert caught.value.code == "invalid_request"
    param = caught.value.param or ""
    assert param.startswith("tools[0].function.parameters") and param.endswith("..."), param


def test_long_keys_are_cut_in_the_param() -> None:
    with pytest.raises(GateError) as caught:
        check_depth({"x" * 10_000: [[[1]]]}, 2)
    assert caught.value.param == "x" * 64 + "[0]"


def test_the_core_checks_depth_and_finite_floats() -> None:
    request = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}
    validate_chat_request(request)
    with pytest.raises(GateError) as caught:
        validate_chat_request({**request, "extra": _nest(70)})
    assert caught.value.param is not None and caught.value.param.startswith("extra")
    with pytest.raises(GateError) as caught:
        validate_chat_request({**request, "temperature": float("nan")})
    assert caught.value.param == "temperature"
    with pytest.raises(GateError) as caught:
        validate_chat_request({**request, "spidergate_options": {"max_cost_usd": float("inf")}})
    assert caught.value.param == "spidergate_options.max_cost_usd"


@pytest.mark.parametrize("value", [1e19, -1e19, 1e308, float(INT64), INT64, -INT64 - 1])
def test_int64_past_its_range(value: float) -> None:
    with pytest.raises(GateError) as caught:
        as_int(value, "seed")
    assert (caught.value.code, caught.value.param) == ("invalid_request", "seed")


@pytest.mark.parametrize("value", [INT32, -INT32 - 1, 1e10, float(INT32)])
def test_int32_past_its_range(value: float) -> None:
    with pytest.raises(GateError):
        as_int32(value, "n")
    assert as_int32(INT32 - 1, "n") == INT32 - 1
    assert as_int32(float(-INT32), "n") == -INT32


@pytest.mark.parametrize("value", [10**400, float("nan"), float("inf")])
def test_floats_must_be_finite(value: float) -> None:
    with pytest.raises(GateError):
        as_float(value, "temperature")


def test_upstream_numbers_are_clamped_not_fatal() -> None:
    completion = completion_to_proto(
        {
            "id": "c",
            "created": 1e300,
            "model": "m",
            "choices": [{"index": 2**40, "message": {"role": "assistant", "content": "x"}}],
            "usage": {"prompt_tokens": float("inf"), "completion_tokens": 10**30},
        }
    )
    assert completion.created == INT64 - 1
    assert completion.choices[0].index == INT32 - 1
    assert (completion.usage.prompt_tokens, completion.usage.completion_tokens) == (0, INT64 - 1)
