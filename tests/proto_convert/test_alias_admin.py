"""Alias administration converters: domain -> proto -> domain round trips, and the JSON
readers' 400s naming the field."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from gate_service.catalog.schema import Candidate
from gate_service.domain.alias_admin import AdminAlias, HistoryEntry, SlotVerdict, Validation
from gate_service.errors import GateError
from gate_service.proto_convert import alias_admin as convert

CHAIN = (Candidate("groq", "llama-3.3-70b-versatile"), Candidate("ollama", "llama3.1:8b"))
ENTRY = HistoryEntry(
    7, "spideriq/tool-use", 2, CHAIN, "operator", "why", datetime(2026, 12, 1, tzinfo=UTC)
)


@pytest.mark.parametrize("falls_through_to", [None, "agent/chat"])
def test_alias_round_trips(falls_through_to: str | None) -> None:
    alias = AdminAlias(
        "spideriq/tool-use",
        "chat",
        "tools",
        ("function_calling",),
        True,
        CHAIN,
        falls_through_to,
        False,
        2,
        (ENTRY,),
    )
    assert convert.alias_from_proto(convert.alias_to_proto(alias)) == alias
    assert convert.alias_to_json(alias)["falls_through_to"] == falls_through_to


def test_validation_round_trips() -> None:
    v = Validation(
        "a/b",
        (SlotVerdict(0, "groq", "m", "ok", "", 12.5, "key_1"), SlotVerdict(1, "x", "y", "no_key")),
    )
    back = convert.validation_from_proto(convert.validation_to_proto(v))
    assert back == v and not back.all_ok
    assert convert.validation_to_json(v)["all_ok"] is False


def test_a_change_from_json() -> None:
    body = {"chain": [{"provider": "groq", "model": "m"}], "reason": "r"}
    change = convert.change_from_proto(convert.replace_request_from_json("a/b", body))
    assert (change.alias_id, change.chain, change.reason) == ("a/b", (Candidate("groq", "m"),), "r")
    rollback = convert.rollback_from_proto(
        convert.rollback_request_from_json("a/b", {"history_id": 3})
    )
    assert (rollback.history_id, rollback.reason) == (3, "")


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({}, "chain"),
        ({"chain": "groq:m"}, "chain"),
        ({"chain": [{"provider": "groq"}]}, "chain[0].model"),
        ({"chain": [{"provider": "groq", "model": ""}]}, "chain[0].model"),
        ({"chain": [{"provider": "groq", "model": "m", "key_id": "k"}]}, "chain[0].key_id"),
        ({"chain": [], "extra": 1}, "extra"),
        ({"chain": [], "reason": 5}, "reason"),
    ],
)
def test_bad_change_bodies(body: dict[str, Any], param: str) -> None:
    with pytest.raises(GateError) as caught:
        convert.replace_request_from_json("a/b", body)
    assert (caught.value.code, caught.value.param) == ("invalid_request", param)


@pytest.mark.parametrize(
    ("body", "param"), [({}, "history_id"), ({"history_id": "1"}, "history_id")]
)
def test_bad_rollback_bodies(body: dict[str, Any], param: str) -> None:
    with pytest.raises(GateError) as caught:
        convert.rollback_request_from_json("a/b", body)
    assert caught.value.param == param
