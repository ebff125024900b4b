"""Whether a model can call tools, and which aliases need it: the one rule.

A tool alias (its ``requires`` holds ``function_calling``: ``spideriq/tool-use``,
``agent/tool-use``) exists for requests that send tools; a slot whose model cannot call
them would answer such a request with prose, or a 400 from the provider. Alias
administration refuses such slots (422 ``rejected_slots``). What a probe measured
(``spidergate catalog probe``: ``supports_tools``) decides when there is a measurement;
otherwise the catalog's ``function_calling`` capability does.
"""

from __future__ import annotations

from gate_service.catalog.schema import AliasInfo, ModelInfo, ProviderInfo

TOOL_CAPABILITY = "function_calling"


def model_can_call_tools(
    model: ModelInfo | None, provider: ProviderInfo | None = None, probed: bool | None = None
) -> bool:
    """Whether ``model`` (as ``provider`` serves it) can call tools.

    ``probed`` is the last probe's ``supports_tools`` for the slot's model id: a
    measurement beats the catalog's declaration either way (a model delisting its tool
    support, or a local server's model that turned out to call tools). Without one, a
    model the catalog does not list (a local server's, which takes any model name) is
    given the benefit of the doubt: nothing known says it cannot.
    """
    if probed is not None:
        return probed
    if model is None:
        return provider is not None and provider.any_model
    return model.has(TOOL_CAPABILITY)


def is_tool_alias(alias: AliasInfo) -> bool:
    """Whether every slot of ``alias`` must be able to call tools."""
    return TOOL_CAPABILITY in alias.requires
