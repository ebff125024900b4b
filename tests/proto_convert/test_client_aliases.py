"""Client aliases: JSON -> proto -> domain on the way in, domain -> proto -> JSON on the
way out (proto_convert/client_aliases.py), and the 400s the bridge's reader gives."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from gate_service.client_aliases.records import (
    AliasPatch,
    AliasView,
    ClientAlias,
    NewAlias,
    Slot,
    SlotInput,
    SlotView,
)
from gate_service.errors import GateError
from gate_service.proto_convert.client_aliases import (
    alias_to_json,
    alias_to_proto,
    create_request_from_json,
    list_request_from_query,
    new_alias_from_proto,
    page_query_from_proto,
    patch_from_proto,
    update_request_from_json,
)

WHEN = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


def test_create_round_trip() -> None:
    body = {
        "name": "fast",
        "description": "ours",
        "slots": [
            {"key_id": "key_1", "model": "m"},
            {"key_id": "key_2", "provider": "groq", "model": "m", "enabled": False},
        ],
    }
    new = new_alias_from_proto(create_request_from_json(body))
    assert new == NewAlias(
        "fast",
        (SlotInput("key_1", None, "m"), SlotInput("key_2", "groq", "m", enabled=False)),
        "ours",
        True,
    )


def test_patch_sends_only_what_was_given() -> None:
    assert patch_from_proto(update_request_from_json("fast", {})) == AliasPatch()
    cleared = patch_from_proto(update_request_from_json("fast", {"description": None}))
    assert cleared == AliasPatch(clear_description=True)
    chain = patch_from_proto(
        update_request_from_json("fast", {"slots": [{"key_id": "k", "model": "m"}]})
    )
    assert chain.slots == (SlotInput("k", None, "m"),) and chain.enabled is None
    empty = patch_from_proto(update_request_from_json("fast", {"slots": []}))
    assert empty.slots == ()  # sent, and empty: the manager refuses it (1-16)


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"slots": []}, "name"),
        ({"name": "x"}, "slots"),
        ({"name": 1, "slots": []}, "name"),
        ({"name": "x", "slots": {}}, "slots"),
        ({"name": "x", "slots": [1]}, "slots[0]"),
        ({"name": "x", "slots": [{"model": "m"}]}, "slots[0].key_id"),
        ({"name": "x", "slots": [{"key_id": "k", "nope": 1}]}, "slots[0].nope"),
        ({"name": "x", "slots": [{"key_id": "k", "enabled": "no"}]}, "slots[0].enabled"),
        ({"name": "x", "slots": [], "extra": 1}, "extra"),
    ],
)
def test_bad_bodies_name_the_field(body: dict[str, Any], param: str) -> None:
    with pytest.raises(GateError) as bad:
        create_request_from_json(body)
    assert (bad.value.code, bad.value.param) == ("invalid_request", param)


def test_a_rename_is_refused() -> None:
    with pytest.raises(GateError) as bad:
        update_request_from_json("fast", {"name": "slow"})
    assert bad.value.param == "name"


def test_answer_round_trip() -> None:
    alias = ClientAlias(
        "cli_x", "fast", None, True, (Slot("key_1", "groq", "m", False),), WHEN, WHEN
    )
    view = AliasView(alias, (SlotView(alias.slots[0], "main", True, "free"),))
    assert alias_to_json(alias_to_proto(view)) == {
        "object": "client_alias",
        "name": "fast",
        "model": "client:cli_x/fast",
        "description": None,
        "enabled": True,
        "slots": [
            {
                "key_id": "key_1",
                "provider": "groq",
                "model": "m",
                "enabled": False,
                "key_label": "main",
                "cost_type": "free",
                "key_active": True,
            }
        ],
        "created": int(WHEN.timestamp()),
        "updated": int(WHEN.timestamp()),
    }


def test_list_query() -> None:
    assert page_query_from_proto(list_request_from_query({})) == (50, 0)
    assert page_query_from_proto(list_request_from_query({"limit": "200", "offset": "3"})) == (
        200,
        3,
    )
    for params in ({"limit": "0"}, {"limit": "201"}, {"limit": "1.5"}, {"offset": "-1"}):
        with pytest.raises(GateError) as bad:
            list_request_from_query(params)
        assert bad.value.param == next(iter(params))
