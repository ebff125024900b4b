"""``parse_model_query`` accepts exactly the documented values and names bad params."""

from __future__ import annotations

import pytest

from gate_service.catalog.query import ModelQuery, parse_model_query
from gate_service.errors import GateError


def test_defaults() -> None:
    assert parse_model_query({}) == ModelQuery()
    query = parse_model_query({})
    assert (query.sort_by, query.limit, query.offset) == ("usage", 500, 0)
    assert not query.free_only and not query.configured_only


def test_all_parameters() -> None:
    query = parse_model_query(
        {
            "provider": "groq",
            "free_only": "TRUE",
            "configured_only": "0",
            "search": "llama",
            "capability": "vision",
            "sort_by": "cost",
            "limit": "2000",
            "offset": "40",
            "unrelated": "ignored",
        }
    )
    assert query == ModelQuery(
        provider="groq",
        free_only=True,
        configured_only=False,
        search="llama",
        capability="vision",
        sort_by="cost",
        limit=2000,
        offset=40,
    )


@pytest.mark.parametrize("value", ["true", "True", "1", "false", "FALSE", "0"])
def test_booleans(value: str) -> None:
    expected = value.lower() in ("true", "1")
    assert parse_model_query({"free_only": value}).free_only is expected
    assert parse_model_query({"configured_only": value}).configured_only is expected


@pytest.mark.parametrize("sort_by", ["usage", "name", "provider", "context", "cost"])
def test_sort_keys(sort_by: str) -> None:
    assert parse_model_query({"sort_by": sort_by}).sort_by == sort_by


def test_limit_bounds_are_inclusive() -> None:
    assert parse_model_query({"limit": "1"}).limit == 1
    assert parse_model_query({"limit": "2000"}).limit == 2000
    assert parse_model_query({"offset": "0"}).offset == 0


def test_empty_values_mean_absent() -> None:
    assert parse_model_query({"provider": "", "limit": " ", "search": ""}) == ModelQuery()


def test_unknown_provider_is_not_an_error() -> None:
    assert parse_model_query({"provider": "nobody"}).provider == "nobody"


@pytest.mark.parametrize(
    ("param", "value"),
    [
        ("free_only", "yes"),
        ("free_only", "2"),
        ("configured_only", "maybe"),
        ("sort_by", "price"),
        ("sort_by", "usage,name"),
        ("limit", "0"),
        ("limit", "2001"),
        ("limit", "-5"),
        ("limit", "ten"),
        ("limit", "1.5"),
        ("limit", "1_000"),
        ("offset", "-1"),
        ("offset", "abc"),
    ],
)
def test_out_of_range_values_are_400_with_the_param(param: str, value: str) -> None:
    with pytest.raises(GateError) as excinfo:
        parse_model_query({param: value})
    assert excinfo.value.code == "invalid_request"
    assert excinfo.value.param == param
    assert excinfo.value.http_status == 400
