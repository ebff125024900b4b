"""CatalogService: health, models, aliases, providers. Public; a valid token with the
``gate:models`` scope makes ``is_configured`` count the brand's own keys too, and the
answer then carries the token's rate-limit headers (an invalid one is a 401).

A models query the bridge could not type arrives as is (``raw_query``) and is read here
with the bridge's own parser, after the credential (when one is sent) was checked: its
401 first, and the 400 with the token's ``X-RateLimit-*``.
"""

from __future__ import annotations

import grpc

from gate_service.catalog.snapshot import AliasModel, Listed, parse_model_query
from gate_service.core import Core
from gate_service.errors import GateError
from gate_service.proto_convert.catalog import (
    alias_model_to_proto,
    alias_to_proto,
    model_to_proto,
    provider_to_proto,
    query_params_from_proto,
    query_to_proto,
)
from gate_service.proto_convert.untyped import query_params
from gate_service.servicers.common import authenticate, call_headers, metadata_value, unary
from spidergate.v1 import catalog_pb2, catalog_pb2_grpc


class CatalogServicer(catalog_pb2_grpc.CatalogServiceServicer):
    def __init__(self, core: Core) -> None:
        self._core = core

    async def _client_id(self, context: grpc.aio.ServicerContext) -> str | None:
        if not metadata_value(context, "authorization"):
            return None
        principal = await authenticate(self._core, context)
        return principal.client_id if principal.has_scope("gate:models") else None

    def _configured(self, client_id: str | None, provider_id: str) -> bool:
        provider = self._core.catalog.provider(provider_id)
        return (
            provider is not None
            and provider.api_format in self._core.adapters
            and self._core.keys.has_key(client_id, provider_id)
        )

    def _model(self, model: Listed, client_id: str | None) -> catalog_pb2.Model:
        if isinstance(model, AliasModel):
            configured = model.configured(lambda m: self._configured(client_id, m.provider))
            return alias_model_to_proto(model, configured=configured)
        return model_to_proto(
            model,
            configured=self._configured(client_id, model.provider),
            aliases=self._core.catalog.in_task_aliases(model.id),
            probe=self._core.probes.result(model.id),
        )

    @unary
    async def GetHealth(
        self, request: catalog_pb2.GetHealthRequest, context: grpc.aio.ServicerContext
    ) -> catalog_pb2.GetHealthResponse:
        return catalog_pb2.GetHealthResponse(
            status="ok", version=self._core.version, uptime_seconds=self._core.uptime_s
        )

    @unary
    async def ListModels(
        self, request: catalog_pb2.ListModelsRequest, context: grpc.aio.ServicerContext
    ) -> catalog_pb2.ListModelsResponse:
        client_id = await self._client_id(context)  # a bad token: 401 before any 400
        if request.raw_query:  # a query string the bridge could not type: read it now
            request = query_to_proto(parse_model_query(query_params(request.raw_query)))
        query = parse_model_query(query_params_from_proto(request))
        models, total = self._core.catalog.list_models(
            query, lambda m: self._configured(client_id, m.provider)
        )
        return catalog_pb2.ListModelsResponse(
            models=[self._model(m, client_id) for m in models],
            total=total,
            headers=call_headers(),
        )

    @unary
    async def GetModel(
        self, request: catalog_pb2.GetModelRequest, context: grpc.aio.ServicerContext
    ) -> catalog_pb2.GetModelResponse:
        client_id = await self._client_id(context)
        catalog = self._core.catalog
        # A catalog id, then a chat alias (/models/spideriq/fast), then a bare model name.
        model: Listed | None = catalog.model(request.id) or catalog.alias_model(request.id)
        if model is None:
            serving = catalog.models_serving(request.id)
            model = serving[0] if serving else None
        if model is None:
            raise GateError(
                "model_not_found", f"The model '{request.id}' does not exist.", param="model"
            )
        return catalog_pb2.GetModelResponse(
            model=self._model(model, client_id), headers=call_headers()
        )

    @unary
    async def ListAliases(
        self, request: catalog_pb2.ListAliasesRequest, context: grpc.aio.ServicerContext
    ) -> catalog_pb2.ListAliasesResponse:
        await self._client_id(context)  # a credential, when given, must be valid
        return catalog_pb2.ListAliasesResponse(
            aliases=[alias_to_proto(a) for a in self._core.catalog.chat_aliases()],
            headers=call_headers(),
        )

    @unary
    async def ListProviders(
        self, request: catalog_pb2.ListProvidersRequest, context: grpc.aio.ServicerContext
    ) -> catalog_pb2.ListProvidersResponse:
        client_id = await self._client_id(context)
        return catalog_pb2.ListProvidersResponse(
            providers=[
                provider_to_proto(p, configured=self._configured(client_id, p.id))
                for p in self._core.catalog.providers
            ],
            headers=call_headers(),
        )
