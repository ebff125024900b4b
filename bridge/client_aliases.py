"""The client alias routes: ``/client-aliases`` (GET list, POST create) and
``/client-aliases/{leaf}`` (GET, PATCH, DELETE -> 204). JSON in and out, the documented
error envelope; the Authorization header travels to the core as gRPC metadata, which
decides whose aliases the caller may touch (a brand's client credential, its own).

A body or query string the bridge cannot type goes to the core as is (``raw_body``,
``raw_query``): the core checks the caller first (401, 403), then reads it with the same
reader and answers its 400, in the one call the route makes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bridge.body import read_json
from bridge.openapi_operations import Op
from bridge.openapi_views import array, const
from bridge.proto_schema import View, request_view, value_range
from bridge.query import read_query
from bridge.responses import REQUEST_ID, call_metadata, reply, request_id
from gate_service.client_aliases.records import (
    COST_TYPES,
    DEFAULT_LIMIT,
    MAX_DESCRIPTION,
    MAX_LEAF,
    MAX_LIMIT,
    MAX_SLOTS,
)
from gate_service.proto_convert.client_aliases import (
    alias_to_json,
    create_request_from_json,
    list_request_from_query,
    list_to_json,
    update_request_from_json,
)
from spidergate.v1 import client_aliases_pb2 as pb

_TIMEOUT_S = 30.0


def _aliases(request: Request) -> Any:
    """The core's client alias service (a stub, or its stand-in over several cores)."""
    return request.app.state.core.client_aliases


async def list_client_aliases(request: Request) -> Response:
    message = read_query(
        request,
        list_request_from_query,
        lambda raw: pb.ListClientAliasesRequest(raw_query=raw),
    )
    answer = await _aliases(request).ListClientAliases(
        message, metadata=call_metadata(request), timeout=_TIMEOUT_S
    )
    return reply(request, list_to_json(answer))


async def create_client_alias(request: Request) -> Response:
    message = await read_json(
        request,
        create_request_from_json,
        lambda raw: pb.CreateClientAliasRequest(raw_body=raw),
    )
    answer = await _aliases(request).CreateClientAlias(
        message, metadata=call_metadata(request), timeout=_TIMEOUT_S
    )
    return reply(request, alias_to_json(answer.alias), status=201)


async def get_client_alias(request: Request) -> Response:
    message = pb.GetClientAliasRequest(name=request.path_params["leaf"])
    answer = await _aliases(request).GetClientAlias(
        message, metadata=call_metadata(request), timeout=_TIMEOUT_S
    )
    return reply(request, alias_to_json(answer.alias))


async def update_client_alias(request: Request) -> Response:
    leaf = request.path_params["leaf"]
    message = await read_json(
        request,
        lambda body: update_request_from_json(leaf, body),
        lambda raw: pb.UpdateClientAliasRequest(name=leaf, raw_body=raw),
    )
    answer = await _aliases(request).UpdateClientAlias(
        message, metadata=call_metadata(request), timeout=_TIMEOUT_S
    )
    return reply(request, alias_to_json(answer.alias))


async def delete_client_alias(request: Request) -> Response:
    message = pb.DeleteClientAliasRequest(name=request.path_params["leaf"])
    await _aliases(request).DeleteClientAlias(
        message, metadata=call_metadata(request), timeout=_TIMEOUT_S
    )
    return Response(status_code=204, headers={REQUEST_ID: request_id(request)})


# ------------------------------------------------------------------ OpenAPI

_ABOUT = (
    "A brand's own routing chains over its own provider keys, used as "
    '`model: "client:<client_id>/<name>"` in every endpoint that takes a model (and in '
    "`spidergate_options.fallback_models`). Each slot is served with its own key only: a "
    "client alias never falls back to the pool. A brand's client credential manages its "
    "own aliases; agent tokens are refused (403 permission_denied). Another brand's alias "
    "answers 404 exactly as a missing one."
)
_LEAF: dict[str, Any] = {
    "pattern": f"^[a-z0-9_-]{{1,{MAX_LEAF}}}$",
    "examples": ["fast"],
}
_SLOT_FIELDS = ("key_id", "provider", "model", "enabled")


def _shapes() -> dict[str, View]:
    slot = View(
        pb.AliasSlot,
        name="ClientAliasSlot",
        fields={"enabled": {"type": "boolean"}},  # always set in an answer
        limits={"cost_type": {"enum": list(COST_TYPES)}},
    )
    alias = View(
        pb.ClientAlias,
        name="ClientAlias",
        fields={"slots": array(slot)},
        add={"object": const("client_alias")},
    )
    slot_in = request_view(
        pb.AliasSlot,
        name="ClientAliasSlotInput",
        only=_SLOT_FIELDS,
        required=("key_id", "model"),
        limits={"key_id": {"minLength": 1}, "model": {"minLength": 1}},
        closed=True,
    )
    slots = array(slot_in, minItems=1, maxItems=MAX_SLOTS)
    text = {"maxLength": MAX_DESCRIPTION}
    return {
        "alias": alias,
        "list": View(
            pb.ListClientAliasesResponse,
            name="ClientAliasList",
            rename={"aliases": "data"},
            fields={"data": array(alias)},
            add={"object": const("list")},
        ),
        "create": request_view(
            pb.CreateClientAliasRequest,
            name="ClientAliasCreate",
            fields={"slots": slots},
            limits={"name": _LEAF, "description": text},
            required=("name", "slots"),
            closed=True,
        ),
        "update": request_view(
            pb.UpdateClientAliasRequest,
            name="ClientAliasUpdate",
            omit=frozenset({"name", "clear_description", "replace_slots"}),
            fields={"slots": slots},
            limits={"description": text},
            not_null=frozenset({"slots"}),
            closed=True,
        ),
        "query": View(
            pb.ListClientAliasesRequest,
            limits={
                "limit": {**value_range(1, MAX_LIMIT), "default": DEFAULT_LIMIT},
                "offset": value_range(0, None),
            },
            empty_is_unset=True,
        ),
        "path": View(pb.GetClientAliasRequest, rename={"name": "leaf"}, limits={"leaf": _LEAF}),
    }


def OPERATIONS() -> dict[Callable[..., Any], Op]:
    s = _shapes()
    denied = ("permission_denied",)

    def op(summary: str, answer: Any, errors: tuple[str, ...] = (), **kw: Any) -> Op:
        return Op(
            summary, "client_aliases", answer, errors=(*denied, *errors), description=_ABOUT, **kw
        )

    one = {"path": s["path"]}
    slot_errors = ("invalid_alias_slot",)
    return {
        list_client_aliases: op("The brand's client aliases", s["list"], query=s["query"]),
        create_client_alias: op(
            "Create a client alias (live from the next request)",
            s["alias"],
            (*slot_errors, "alias_exists"),
            status=201,
            body=s["create"],
        ),
        get_client_alias: op("One client alias", s["alias"], ("not_found",), **one),
        update_client_alias: op(
            "Change the fields given; slots, when given, replace the whole chain",
            s["alias"],
            ("not_found", *slot_errors),
            body=s["update"],
            **one,
        ),
        delete_client_alias: op(
            "Delete a client alias (requests naming it then answer 404)",
            {"type": "null"},
            ("not_found",),
            status=204,
            **one,
        ),
    }


ROUTES = [
    Route("/client-aliases", list_client_aliases, methods=["GET"]),
    Route("/client-aliases", create_client_alias, methods=["POST"]),
    Route("/client-aliases/{leaf}", get_client_alias, methods=["GET"]),
    Route("/client-aliases/{leaf}", update_client_alias, methods=["PATCH"]),
    Route("/client-aliases/{leaf}", delete_client_alias, methods=["DELETE"]),
]
