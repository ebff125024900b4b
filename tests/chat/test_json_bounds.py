"""The pure checks behind the JSON bounds: nesting depth, and numbers read into proto
fields of a given width (from clients: a 400; from an upstream: clamped)."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from gate_service.chat.validation import check_depth, too_deep, validate_chat_request
from gate_service.domain.openai_json import completion_from_json
from gate_service.errors import GateError
from gate_service.proto_convert.completion import completion_to_proto
from gate_service.proto_convert.jsonvalues import INT32, INT64, as_float, as_int, as_int32
from tests.domain.build import chat_request


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
    validate_chat_request(chat_request(request))
    with pytest.raises(GateError) as caught:
        validate_chat_request(chat_request({**request, "extra": _nest(70)}))
    assert caught.value.param is not None and caught.value.param.startswith("extra")
    typed = chat_request(request)
    typed.temperature = float("nan")  # a gRPC client can send one; JSON cannot
    with pytest.raises(GateError) as caught:
        validate_chat_request(typed)
    assert caught.value.param == "temperature"
    typed = chat_request(request)
    typed.options.max_cost_usd = float("inf")
    with pytest.raises(GateError) as caught:
        validate_chat_request(typed)
    assert caught.value.param == "spidergate_options.max_cost_usd"


# Deeper than the typed part of the request, so it is what the bound meets.
_DEEP: dict[str, Any] = {"a": [{"b": [{}]}]}


@pytest.mark.parametrize(
    ("place", "param"),
    [
        (
            {"tools": [{"type": "function", "function": {"name": "f", "parameters": _DEEP}}]},
            "tools[0].function.parameters.a[0].b[0]",
        ),
        ({"zz": _DEEP}, "zz.a[0].b[0]"),
        (
            {
                "messages": [
                    {"role": "user", "content": [{"type": "text", "text": "x", "y": _DEEP}]}
                ]
            },
            "messages[0].content[0].y.a[0].b...",  # eight keys shown at most
        ),
        (
            {"response_format": {"type": "json_schema", "json_schema": _DEEP}},
            "response_format.json_schema.a[0].b[0]",
        ),
        ({"tool_choice": {"type": "custom", "x": _DEEP}}, "tool_choice.x.a[0].b[0]"),
        ({"spidergate_options": {"x": _DEEP}}, "spidergate_options.x.a[0].b[0]"),
    ],
)
def test_depth_counts_from_where_a_value_sits(place: dict[str, Any], param: str) -> None:
    """The free-form values are walked alone, but counted from their place in the
    request: the bound is the same as over the whole request as one document."""
    base: dict[str, Any] = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}
    body = {**base, **place}
    depth = _depth(body)
    chat_request(body, max_depth=depth)
    with pytest.raises(GateError) as caught:
        chat_request(body, max_depth=depth - 1)
    assert caught.value.param == param


def _depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    return 0


@pytest.mark.parametrize("value", [1e19, -1e19, 1e308, float(INT64), INT64, -INT64 - 1])
def test_int64_past_its_range(value: float) -> None:
    with pytest.raises(GateError) as caught:
        as_int(value, "seed")
    assert (caught.value.code, caught.value.param) == ("invalid_request", "seed")


def test_an_integer_orjson_rounded_into_range_is_refused() -> None:
    """orjson reads an integer past 64 bits as a float: -2**63 - 1 arrives as the float
    -2**63, which is inside the range but not the number sent (found by the fuzz)."""
    value = orjson.loads(b"-9223372036854775809")
    assert isinstance(value, float)
    with pytest.raises(GateError) as caught:
        as_int(value, "seed")
    assert caught.value.param == "seed"
    assert as_int(float(2**52), "seed") == 2**52  # an exact integral float still counts
    assert as_int(-INT64, "seed") == -INT64  # and the true bound, sent as an integer


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
        completion_from_json(
            {
                "id": "c",
                "created": 1e300,
                "model": "m",
                "choices": [{"index": 2**40, "message": {"role": "assistant", "content": "x"}}],
                "usage": {"prompt_tokens": float("inf"), "completion_tokens": 10**30},
            }
        )
    )
    assert completion.created == INT64 - 1
    assert completion.choices[0].index == INT32 - 1
    assert (completion.usage.prompt_tokens, completion.usage.completion_tokens) == (0, INT64 - 1)
