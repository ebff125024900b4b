"""Whether a model can call tools, and which aliases need it: the one rule.

A tool alias (its ``requires`` holds ``function_calling``: ``spideriq/tool-use``,
``agent/tool-use``) exists for requests that send tools; a slot whose model cannot call
them would answer such a request with prose, or a 400 from the provider. Alias
administration refuses such slots (422 ``rejected_slots``). Today the catalog's
``function_calling`` capability decides; the probe-backed catalog extends this one
function with what probes measured (``supports_tools``), so every caller follows.
"""

from __future__ import annotations

from gate_service.catalog.schema import AliasInfo, ModelInfo, ProviderInfo

TOOL_CAPABILITY = "function_calling"


def model_can_call_tools(model: ModelInfo | None, provider: ProviderInfo | None = None) -> bool:
    """Whether ``model`` (as ``provider`` serves it) can call tools.

    A model the catalog does not list (a local server's, which takes any model name) is
    given the benefit of the doubt: nothing known says it cannot.
    """
    if model is None:
        return provider is not None and provider.any_model
    return model.has(TOOL_CAPABILITY)


def is_tool_alias(alias: AliasInfo) -> bool:
    """Whether every slot of ``alias`` must be able to call tools."""
    return TOOL_CAPABILITY in alias.requires
