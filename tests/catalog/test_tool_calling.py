"""The one rule for "can this model call tools", and which aliases need it."""

from __future__ import annotations

from gate_service.catalog.loader import load_bundled
from gate_service.catalog.snapshot import Catalog
from gate_service.catalog.tool_calling import is_tool_alias, model_can_call_tools

CATALOG = Catalog(load_bundled())


def test_the_function_calling_capability_decides() -> None:
    assert model_can_call_tools(CATALOG.model("openai/gpt-4o"))
    assert not model_can_call_tools(CATALOG.model("together/Qwen/Qwen2.5-Coder-32B-Instruct"))


def test_a_model_the_catalog_does_not_list() -> None:
    local = next(p for p in CATALOG.providers if p.any_model)
    groq = CATALOG.provider("groq")
    assert model_can_call_tools(None, local)  # nothing says it cannot
    assert not model_can_call_tools(None, groq)
    assert not model_can_call_tools(None)


def test_tool_aliases_are_the_ones_that_require_function_calling() -> None:
    tools = {a.id for a in CATALOG.aliases if is_tool_alias(a)}
    assert tools == {"spideriq/tool-use", "agent/tool-use"}
    for alias_id in tools:
        alias = CATALOG.alias(alias_id)
        assert alias is not None
        assert all(model_can_call_tools(CATALOG.model(c.model_id)) for c in alias.chain)
