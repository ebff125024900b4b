"""Which slots of a proposed chain can never serve an alias (no I/O)."""

from __future__ import annotations

import pytest

from gate_service.aliasadmin.slots import check_chain, rejections
from gate_service.catalog.loader import load_bundled
from gate_service.catalog.schema import AliasInfo, Candidate
from gate_service.catalog.snapshot import Catalog
from gate_service.domain.alias_admin import MAX_SLOTS
from gate_service.errors import GateError

CATALOG = Catalog(load_bundled())


def _alias(alias_id: str) -> AliasInfo:
    alias = CATALOG.alias(alias_id)
    assert alias is not None
    return alias


def _chain(*texts: str) -> tuple[Candidate, ...]:
    return tuple(Candidate.parse(t) for t in texts)


def test_every_refused_slot_is_named_with_its_reason() -> None:
    chain = _chain(
        "groq:llama-3.3-70b-versatile",
        "nosuch:model",
        "groq:no-such-model",
        "together:Qwen/Qwen2.5-Coder-32B-Instruct",
    )
    found = rejections(CATALOG, _alias("spideriq/tool-use"), chain)
    assert [(r.slot, r.reason) for r in found] == [
        (1, "unknown_provider"),
        (2, "unknown_model"),
        (3, "no_tools"),
    ]


def test_the_no_tools_model_is_fine_outside_tool_aliases() -> None:
    chain = _chain("together:Qwen/Qwen2.5-Coder-32B-Instruct")
    assert rejections(CATALOG, _alias("spideriq/coding"), chain) == []


def test_an_alias_kind_needs_its_capability() -> None:
    embedding = next(a for a in CATALOG.aliases if a.kind == "embedding")
    found = rejections(CATALOG, embedding, _chain("groq:llama-3.1-8b-instant"))
    assert [(r.reason, r.message) for r in found] == [
        ("lacks_capability", "'groq/llama-3.1-8b-instant' lacks 'embeddings'")
    ]


def test_check_chain_raises_422_with_rejected_slots() -> None:
    with pytest.raises(GateError) as caught:
        check_chain(
            CATALOG,
            _alias("agent/tool-use"),
            _chain("openai:gpt-4o", "together:Qwen/Qwen2.5-Coder-32B-Instruct"),
        )
    error = caught.value
    assert (error.code, error.http_status, error.param) == ("chain_rejected", 422, "chain")
    assert error.body["rejected_slots"][0]["slot"] == 1
    assert error.body["rejected_slots"][0]["reason"] == "no_tools"


@pytest.mark.parametrize(
    "chain",
    [
        (),
        _chain("groq:llama-3.1-8b-instant", "groq:llama-3.1-8b-instant"),
        tuple(Candidate("ollama", f"m{i}") for i in range(MAX_SLOTS + 1)),
    ],
)
def test_malformed_chains_are_400(chain: tuple[Candidate, ...]) -> None:
    with pytest.raises(GateError) as caught:
        check_chain(CATALOG, _alias("spideriq/fast"), chain)
    assert (caught.value.code, caught.value.param) == ("invalid_request", "chain")


def test_a_probe_measurement_overrules_the_catalog_for_tool_aliases() -> None:
    """`spidergate catalog probe` found the catalog's tool-capable llama not calling tools,
    and the catalog's no-tools Qwen calling them: the measurements decide."""
    chain = _chain("groq:llama-3.3-70b-versatile", "together:Qwen/Qwen2.5-Coder-32B-Instruct")
    measured = {
        "groq/llama-3.3-70b-versatile": False,
        "together/Qwen/Qwen2.5-Coder-32B-Instruct": True,
    }
    found = rejections(CATALOG, _alias("spideriq/tool-use"), chain, measured.get)
    assert [(r.slot, r.reason) for r in found] == [(0, "no_tools")]
    # A model never probed (or whose probe could not tell) keeps the catalog's answer.
    unknown: dict[str, bool] = {}
    found = rejections(CATALOG, _alias("spideriq/tool-use"), chain, unknown.get)
    assert [(r.slot, r.reason) for r in found] == [(1, "no_tools")]
