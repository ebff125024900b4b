"""Platform alias administration over REST, for the operator token: ``/admin/aliases``.

Alias ids hold ``/`` (``spideriq/tool-use``), so the id is an ``anypath`` segment and the
actions sit after it (``/admin/aliases/spideriq/tool-use/validate``). A body the bridge
cannot type goes to the core as is (``raw_body``): the core answers 401/403 first, then
the 400 naming the field. The core decides who may call (the operator token only).
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

import bridge.routing  # noqa: F401  (registers the ``anypath`` convertor)
from bridge.body import read_json
from bridge.openapi_operations import Op
from bridge.openapi_views import array, const
from bridge.proto_schema import View
from bridge.responses import call_metadata, reply
from gate_service.domain.alias_admin import MAX_REASON, MAX_SLOTS
from gate_service.proto_convert import alias_admin as convert
from spidergate.v1 import alias_admin_pb2 as pb

# A dry run waits for every slot's probe (15 s each at most, run concurrently).
_TIMEOUT_S = 60.0


def _admin(request: Request) -> Any:
    """The core's alias administration (a stub, or its stand-in over several cores)."""
    return request.app.state.core.alias_admin


def _alias_id(request: Request) -> str:
    return str(request.path_params["alias_id"])


async def admin_list_aliases(request: Request) -> Response:
    answer = await _admin(request).ListAdminAliases(
        pb.ListAdminAliasesRequest(), metadata=call_metadata(request), timeout=_TIMEOUT_S
    )
    aliases = [convert.alias_from_proto(a) for a in answer.aliases]
    return reply(request, convert.aliases_to_json(aliases))


async def admin_get_alias(request: Request) -> Response:
    answer = await _admin(request).GetAdminAlias(
        pb.GetAdminAliasRequest(alias_id=_alias_id(request)),
        metadata=call_metadata(request),
        timeout=_TIMEOUT_S,
    )
    return reply(request, convert.alias_to_json(convert.alias_from_proto(answer.alias)))


async def admin_validate_chain(request: Request) -> Response:
    alias_id = _alias_id(request)
    message = await read_json(
        request,
        lambda body: convert.validate_request_from_json(alias_id, body),
        lambda raw: pb.ValidateChainRequest(alias_id=alias_id, raw_body=raw),
    )
    answer = await _admin(request).ValidateChain(
        message, metadata=call_metadata(request), timeout=_TIMEOUT_S
    )
    return reply(request, convert.validation_to_json(convert.validation_from_proto(answer)))


async def admin_replace_chain(request: Request) -> Response:
    alias_id = _alias_id(request)
    message = await read_json(
        request,
        lambda body: convert.replace_request_from_json(alias_id, body),
        lambda raw: pb.ReplaceChainRequest(alias_id=alias_id, raw_body=raw),
    )
    answer = await _admin(request).ReplaceChain(
        message, metadata=call_metadata(request), timeout=_TIMEOUT_S
    )
    return reply(request, convert.alias_to_json(convert.alias_from_proto(answer.alias)))


async def admin_rollback_chain(request: Request) -> Response:
    alias_id = _alias_id(request)
    message = await read_json(
        request,
        lambda body: convert.rollback_request_from_json(alias_id, body),
        lambda raw: pb.RollbackChainRequest(alias_id=alias_id, raw_body=raw),
    )
    answer = await _admin(request).RollbackChain(
        message, metadata=call_metadata(request), timeout=_TIMEOUT_S
    )
    return reply(request, convert.alias_to_json(convert.alias_from_proto(answer.alias)))


_DESCRIPTION = (
    "Operator token only: any other credential is 403 `permission_denied`. A chain is "
    "1-16 slots `{provider, model}`; a slot that can never serve the alias (unknown "
    "provider or model, a missing capability, a model that cannot call tools in a tool "
    "alias) is 422 `chain_rejected` with `rejected_slots`. See docs/catalog-admin.md."
)


def _shapes() -> dict[str, Any]:
    slot = View(pb.ChainSlot, name="AliasChainSlot")
    chain = array(slot, minItems=1, maxItems=MAX_SLOTS)
    entry = View(pb.AliasHistoryEntry, fields={"chain": array(slot)})
    alias = View(
        pb.AdminAlias,
        fields={"chain": array(slot), "history": array(entry)},
        add={"object": const("alias")},
    )
    path = View(
        pb.GetAdminAliasRequest,
        name="AdminAliasPath",
        limits={"alias_id": {"examples": ["spideriq/tool-use"]}},
    )
    change = {"chain": chain, "reason": {"type": "string", "maxLength": MAX_REASON}}
    body = {
        "type": "object",
        "properties": change,
        "required": ["chain"],
        "additionalProperties": False,
    }
    rollback = {
        "type": "object",
        "properties": {
            "history_id": {"type": "integer", "format": "int64"},
            "reason": change["reason"],
        },
        "required": ["history_id"],
        "additionalProperties": False,
    }
    return {
        "alias": alias,
        "list": View(
            pb.ListAdminAliasesResponse,
            name="AdminAliasList",
            rename={"aliases": "data"},
            fields={"data": array(alias)},
            add={"object": const("list")},
        ),
        "validation": View(pb.ValidateChainResponse, name="AliasChainValidation"),
        "path": path,
        "body": body,
        "rollback": rollback,
    }


def OPERATIONS() -> dict[Any, Op]:
    s = _shapes()

    def op(summary: str, answer: Any, **kw: Any) -> Op:
        errors = ("permission_denied", *kw.pop("errors", ()))
        return Op(summary, "admin", answer, errors=errors, description=_DESCRIPTION, **kw)

    one = {"path": s["path"], "errors": ("not_found",)}
    change_errors = ("not_found", "chain_rejected")
    return {
        admin_list_aliases: op("Every alias with its live chain and change history", s["list"]),
        admin_get_alias: op("One alias with its live chain and change history", s["alias"], **one),
        admin_validate_chain: op(
            "Dry-run probe of a proposed chain: a verdict per slot; nothing billed or changed",
            s["validation"],
            path=s["path"],
            body=s["body"],
            errors=change_errors,
        ),
        admin_replace_chain: op(
            "Replace the chain; every replica serves it within seconds; a history row",
            s["alias"],
            path=s["path"],
            body=s["body"],
            errors=change_errors,
        ),
        admin_rollback_chain: op(
            "Restore the chain of a history row; a new history row",
            s["alias"],
            path=s["path"],
            body=s["rollback"],
            errors=change_errors,
        ),
    }


ROUTES = [
    Route("/admin/aliases", admin_list_aliases, methods=["GET"]),
    Route("/admin/aliases/{alias_id:anypath}/validate", admin_validate_chain, methods=["POST"]),
    Route("/admin/aliases/{alias_id:anypath}/chain", admin_replace_chain, methods=["PUT"]),
    Route("/admin/aliases/{alias_id:anypath}/rollback", admin_rollback_chain, methods=["POST"]),
    Route("/admin/aliases/{alias_id:anypath}", admin_get_alias, methods=["GET"]),
]
