"""cache_key: stable across field order, split by brand, blind only to what cannot change
the answer."""

from __future__ import annotations

import copy
import re
from typing import Any

import pytest

from gate_service.cache.key import KEY_PREFIX
from gate_service.cache.key import cache_key as _cache_key
from tests.domain.build import chat_request

BRAND = "brand-a"


def cache_key(brand: str, body: dict[str, Any]) -> str:
    """The key of the request the core builds from ``body``."""
    return _cache_key(brand, chat_request(body))


def request() -> dict[str, Any]:
    return {
        "model": "spideriq/coding",
        "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": [{"type": "text", "text": "hi"}]},
        ],
        "temperature": 0.2,
        "spidergate_options": {"cache_enabled": True, "max_cost_usd": 0.5},
    }


def test_key_has_versioned_prefix_and_sha256_hex() -> None:
    key = cache_key(BRAND, request())
    assert KEY_PREFIX == "sg:cache:v1:"
    assert re.fullmatch(r"sg:cache:v1:[0-9a-f]{64}", key)


def test_field_order_does_not_matter_at_any_depth() -> None:
    reordered = {
        "spidergate_options": {"max_cost_usd": 0.5, "cache_enabled": True},
        "temperature": 0.2,
        "messages": [
            {"content": "Be brief.", "role": "system"},
            {"content": [{"text": "hi", "type": "text"}], "role": "user"},
        ],
        "model": "spideriq/coding",
    }
    assert cache_key(BRAND, reordered) == cache_key(BRAND, request())


def test_same_request_from_another_brand_gets_another_key() -> None:
    assert cache_key("brand-b", request()) != cache_key(BRAND, request())


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("stream", True),
        ("stream_options", {"include_usage": True}),
        ("user", "end-user-42"),
    ],
)
def test_transport_and_tracking_fields_are_ignored(field: str, value: Any) -> None:
    changed = request() | {field: value}
    assert cache_key(BRAND, changed) == cache_key(BRAND, request())


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("cache_enabled", False),
        ("cache_ttl_seconds", 86_400),
        ("timeout_ms", 500),
        ("retry_count", 3),
    ],
)
def test_storage_and_effort_options_are_ignored(option: str, value: Any) -> None:
    changed = request()
    changed["spidergate_options"][option] = value
    assert cache_key(BRAND, changed) == cache_key(BRAND, request())


def test_options_left_empty_equal_no_options() -> None:
    bare = {k: v for k, v in request().items() if k != "spidergate_options"}
    only_cache = bare | {"spidergate_options": {"cache_enabled": True, "timeout_ms": 9}}
    assert cache_key(BRAND, only_cache) == cache_key(BRAND, bare)


def _with(path: tuple[str, ...], value: Any) -> dict[str, Any]:
    changed = request()
    target = changed
    for part in path[:-1]:
        target = target.setdefault(part, {})
    target[path[-1]] = value
    return changed


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("model",), "gpt-4o"),
        (("messages",), [{"role": "user", "content": "hello"}]),
        (("temperature",), 0.3),
        (("tools",), [{"type": "function", "function": {"name": "f"}}]),
        (("seed",), 7),
        (("response_format",), {"type": "json_object"}),
        (("some_unknown_field",), 1),
        (("spidergate_options", "fallback_models"), ["gpt-4o"]),
        (("spidergate_options", "preferred_providers"), ["groq"]),
        (("spidergate_options", "excluded_providers"), ["openai"]),
        (("spidergate_options", "max_cost_usd"), 0.25),
    ],
)
def test_anything_that_can_change_the_answer_changes_the_key(
    path: tuple[str, ...], value: Any
) -> None:
    assert cache_key(BRAND, _with(path, value)) != cache_key(BRAND, request())


def test_integers_beyond_64_bits_fall_back_to_stdlib_json_and_stay_stable() -> None:
    # seed is typed (int64), so a huge integer can only ride in an unknown field; and
    # the core reads those with orjson, which turns it into a float: so it is put into
    # the typed request directly here.
    def with_extra(body: dict[str, Any], value: int) -> str:
        typed = chat_request(body)
        typed.extra["x_seed"] = value
        return _cache_key(BRAND, typed)

    huge = with_extra(request(), 2**70)
    assert huge == with_extra(dict(reversed(list(request().items()))), 2**70)
    assert huge != with_extra(request(), 2**70 + 1)


def test_request_is_not_modified() -> None:
    typed = chat_request(request() | {"stream": True, "user": "u"})
    before = copy.deepcopy(typed)
    _cache_key(BRAND, typed)
    assert typed == before
