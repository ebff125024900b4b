"""The OpenAPI 3.1 document of the REST surface, served at ``/openapi.json``.

Generated at the first request, never edited by hand:

- **Paths and methods** are walked from the app's own Starlette routes, so a new route
  appears by itself. Each endpoint has one entry (:class:`~bridge.openapi_operations.Op`),
  in :mod:`bridge.openapi_operations` or in its own module's ``OPERATIONS()``
  (summary, who may call it, which proto messages back its query, body and answer, the
  error codes it can give); a route without one is still listed, marked
  ``x-undocumented``, and a test fails.
- **Shapes** are read off the proto descriptors of the messages the handlers convert
  (:mod:`bridge.proto_schema`), as the views of :mod:`bridge.openapi_views`: a view
  states only where a converter's JSON departs from its message. **Ranges** are the
  validators' own tables (``chat/validation.py``, ``catalog/query.py``,
  ``ledger/views.py``, ``vault/validation.py``).
- **Errors** come from the catalogue in ``gate_service/errors.py``: an operation names the
  reason codes it can answer; their statuses, ``type`` and the envelope follow.

Paths are relative to the two prefixes, given as ``servers`` (``/api/gate/v1``, the
canonical one, then ``/v1``): both serve the very same routes, so listing every path twice
would duplicate each operation (and its ``operationId``) for no information, and a client
picks its base URL as it does with the OpenAI SDKs. Outside the prefixes are ``/metrics``
(Prometheus text, not part of the API) and ``/openapi.json`` itself; any other root route
is flagged, like an undescribed one.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterator
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, Route

import gate_service
from bridge import messages_schema
from bridge.messages_answer import error_type
from bridge.openapi_operations import Op
from bridge.openapi_operations import operations as endpoint_operations
from bridge.openapi_views import obj, tool_call
from bridge.proto_schema import Schema, Shapes, View, not_null, nullable
from bridge.responses import REQUEST_ID, request_id
from gate_service.errors import CATALOGUE

# Routes served outside the API prefixes, and why they are not operations of the document.
ROOT_ROUTES = {
    "/metrics": "Prometheus metrics in the text exposition format, for scrapers.",
    "/openapi.json": "This document, also served under each prefix.",
    "/": "A redirect to the web console.",
    "/mcp": "The MCP server over Streamable HTTP (docs/mcp.md): JSON-RPC, not this API.",
}
# Mounted beside the API but not part of it: HTML for a browser, documented in docs/.
NOT_API_MOUNTS = {
    "/console": "The web console (docs/console.md): HTML pages for a browser, not this API.",
}
# A code the catalogue maps to one status that is also answered with another.
ALSO_STATUS = {"all_providers_failed": (503,)}
_CONVERTOR = re.compile(r"\{(\w+):\w+\}")  # Starlette's {model_id:path} -> {model_id}

# The document's own entry (beside its handler: the operations' table cannot import it).
_SELF = Op("This document", "meta", {"type": "object"}, auth="none")
_TAGS = {
    "chat": "Chat completions, OpenAI-compatible.",
    "catalog": "Public: health, models, aliases, providers. A token, when sent, must be "
    "valid; with the gate:models scope, is_configured counts the brand's own keys.",
    "vault": "Provider keys, encrypted at rest; secrets go in and never come out.",
    "usage": "What the ledger recorded of the caller's own requests (gate:usage).",
    "messages": "Anthropic's Messages API, for clients built on the anthropic SDK.",
    "prompts": "Saved prompts of the caller's brand, applied by requests that name one.",
    "client_aliases": "A brand's own routing chains over its own keys (client:<id>/<name>).",
    "meta": "About the API itself.",
}
_STREAM = (
    "Server-Sent Events, described per event as an SSE parser reads one: each event is "
    "`data: <JSON>` and a blank line, the JSON one chunk (its shape: `x-spidergate-event`); "
    "the stream ends with `data: [DONE]`."
)


def _headers() -> dict[str, Schema]:
    def header(description: str, kind: str = "string", required: bool = False) -> Schema:
        return {"description": description, "required": required, "schema": {"type": kind}}

    return {
        "X-Request-Id": header("The request's id (the client's, when sane)", required=True),
        "X-RateLimit-Limit-Requests": header("The token's request limit", "integer"),
        "X-RateLimit-Remaining-Requests": header("Requests left in the window", "integer"),
        "X-RateLimit-Reset": header("Seconds until the window frees a slot", "integer"),
        "Retry-After": header("Seconds to wait before retrying", "integer"),
        "WWW-Authenticate": header("Bearer", required=True),
        "X-SpiderGate-Fallback-From": header("The chain's first choice, when another served"),
        "X-SpiderGate-Dropped-Params": header("Parameters dropped that change nothing"),
    }


def _error_schema() -> Schema:
    types = sorted({r.type for r in CATALOGUE.values()})
    body = obj(
        {
            "type": {"type": "string", "enum": types},
            "code": {"type": "string", "enum": list(CATALOGUE)},
            "message": {"type": "string"},
            "param": nullable({"type": "string"}),
        }
    )
    return {
        "type": "object",
        "properties": {
            "error": body,
            "spidergate_error": {
                "type": "object",
                "description": "e.g. the candidates' verdicts (422) or the attempts (502)",
            },
        },
        "required": ["error"],
    }


def _anthropic_error_schema() -> Schema:
    """The Messages API's errors: Anthropic's shape, with our reason code in it."""
    types = sorted({error_type(code, r.http_status) for code, r in CATALOGUE.items()})
    return messages_schema.error(types, list(CATALOGUE))


def _ref_header(name: str) -> Schema:
    return {"$ref": f"#/components/headers/{name}"}


def _error_codes(op: Op) -> list[str]:
    codes = list(op.errors)
    if op.auth == "optional":
        codes += ["invalid_token_format", "invalid_api_key"]
    elif op.auth == "required":
        codes += ["missing_api_key", "invalid_token_format", "invalid_api_key"]
    if op.scope:
        codes.append("insufficient_scope")
    if op.query or op.body:
        codes.append("invalid_request")
    if op.body:
        codes.append("request_too_large")
    if op.shed:
        codes.append("overloaded")
    return list(dict.fromkeys(codes))


def _responses(op: Op, shapes: Shapes) -> dict[str, Schema]:
    ok_headers = {"X-Request-Id": _ref_header("X-Request-Id")}
    if op.auth != "none":
        for name in ("X-RateLimit-Limit-Requests", "X-RateLimit-Remaining-Requests"):
            ok_headers[name] = _ref_header(name)
        ok_headers["X-RateLimit-Reset"] = _ref_header("X-RateLimit-Reset")
    if op.stream:
        for name in ("X-SpiderGate-Fallback-From", "X-SpiderGate-Dropped-Params"):
            ok_headers[name] = _ref_header(name)
    content: dict[str, Schema] = {"application/json": {"schema": shapes.ref(op.answer)}}
    if op.media:
        content = {
            media: {"schema": shapes.ref(op.answer) if schema is None else schema}
            for media, schema in op.media
        }
    if op.stream:
        content["text/event-stream"] = {
            "schema": shapes.ref(
                op.stream_frame
                or {
                    "type": "object",
                    "description": op.stream_note or _STREAM,
                    "properties": {"data": {"type": "string"}},
                    "required": ["data"],
                }
            ),
            "x-spidergate-event": shapes.ref(op.stream),
        }
    success: Schema = {"description": op.summary, "headers": ok_headers, "content": content}
    if op.status == 204:
        del success["content"]  # No Content: no body, whatever ``answer`` says
    out: dict[str, Schema] = {str(op.status): success}
    by_status: dict[int, list[str]] = {}
    for code in _error_codes(op):
        for status in (CATALOGUE[code].http_status, *ALSO_STATUS.get(code, ())):
            by_status.setdefault(status, []).append(code)
    for status, codes in sorted(by_status.items()):
        headers = {"X-Request-Id": _ref_header("X-Request-Id")}
        if status == 401:
            headers["WWW-Authenticate"] = _ref_header("WWW-Authenticate")
        if status in (429, 503):
            headers["Retry-After"] = _ref_header("Retry-After")
        narrowed = {"properties": {"error": {"properties": {"code": {"enum": codes}}}}}
        schema = {"allOf": [{"$ref": f"#/components/schemas/{op.error_schema}"}, narrowed]}
        out[str(status)] = {
            "description": ", ".join(codes),
            "headers": headers,
            "content": {"application/json": {"schema": schema}},
        }
    return out


def _security(op: Op) -> list[dict[str, list[str]]]:
    if op.auth == "none":
        return []
    if op.auth == "optional":
        return [{}, {"bearer": []}]
    return [{"bearer": [op.scope] if op.scope else []}]


def _parameters(view: View | None, where: str, shapes: Shapes) -> list[Schema]:
    if view is None:
        return []
    props, _ = shapes.properties(view)
    empty = {"allowEmptyValue": True} if view.empty_is_unset else {}
    return [
        {
            "name": name,
            "in": where,
            "required": where == "path",
            **empty,
            "schema": shapes.ref(not_null(schema)),
        }
        for name, schema in props.items()
    ]


def _operation(op: Op, endpoint: Callable[..., Any], shapes: Shapes) -> Schema:
    out: Schema = {
        "operationId": endpoint.__name__,
        "summary": op.summary,
        "tags": [op.tag],
        "security": _security(op),
    }
    if op.description or op.scope:
        scope = f"Needs a token with the `{op.scope}` scope. " if op.scope else ""
        out["description"] = scope + op.description
    params = _parameters(op.path, "path", shapes) + _parameters(op.query, "query", shapes)
    if params:
        out["parameters"] = params
    if op.body is not None:
        out["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": shapes.ref(op.body)}},
        }
    out["responses"] = _responses(op, shapes)
    return out


def api_routes(routes: list[BaseRoute]) -> Iterator[tuple[str, str, Route]]:
    """(prefix, method, route) of every route under a prefix (a ``Mount``), HEAD aside."""
    for mount in routes:
        if isinstance(mount, Mount) and mount.path not in NOT_API_MOUNTS:
            for route in mount.routes:
                if isinstance(route, Route):
                    for method in sorted(route.methods or ()):
                        if method != "HEAD":
                            yield mount.path, method, route


def _module_operations(routes: list[BaseRoute]) -> dict[Callable[..., Any], Op]:
    """The entries a bridge module declares beside its handlers, as ``OPERATIONS()``
    (a new endpoint's module documents itself; :mod:`bridge.openapi_operations` holds
    the entries of the modules written before that was possible)."""
    found: dict[Callable[..., Any], Op] = {}
    modules = {sys.modules[route.endpoint.__module__] for _, _, route in api_routes(routes)}
    for module in sorted(modules, key=lambda m: m.__name__):
        declared = getattr(module, "OPERATIONS", None)
        if callable(declared):
            found.update(declared())
    return found


def build_document(routes: list[BaseRoute]) -> Schema:
    """The OpenAPI document of an app with these (top-level) routes."""
    shapes = Shapes(defaults=(tool_call(),))
    operations = {**endpoint_operations(), **_module_operations(routes), openapi_json: _SELF}
    paths: dict[str, dict[str, Schema]] = {}
    prefixes: list[str] = []
    for prefix, method, route in api_routes(routes):
        if prefix not in prefixes:
            prefixes.append(prefix)
        path = _CONVERTOR.sub(r"{\1}", route.path)
        item = paths.setdefault(path, {})
        if method.lower() in item:
            continue  # the same route under the other prefix
        op = operations.get(route.endpoint)
        if op is None:
            item[method.lower()] = {
                "summary": f"{route.endpoint.__name__} (undescribed)",
                "x-undocumented": True,
                "responses": {"default": {"description": "undescribed"}},
            }
        else:
            item[method.lower()] = _operation(op, route.endpoint, shapes)
    unknown_root = [r.path for r in routes if isinstance(r, Route) and r.path not in ROOT_ROUTES]
    doc: Schema = {
        "openapi": "3.1.0",
        "info": {
            "title": "SpiderGate",
            "version": gate_service.__version__,
            "summary": "An OpenAI-compatible LLM gateway that pools provider accounts.",
            "description": 'Every error is `{"error": {"type", "code", "message", '
            '"param"}}`; clients branch on `code`. Generated from the routes and the proto '
            "descriptors by bridge/openapi.py. Also served outside the prefixes: "
            + "; ".join(f"`{p}`: {what}" for p, what in {**ROOT_ROUTES, **NOT_API_MOUNTS}.items()),
            "license": {"name": "Apache-2.0", "identifier": "Apache-2.0"},
        },
        "servers": [
            {"url": p, "description": "canonical" if i == 0 else "the same routes"}
            for i, p in enumerate(prefixes)
        ],
        "tags": [{"name": k, "description": v} for k, v in _TAGS.items()],
        "paths": paths,
        "components": {
            "schemas": {
                "Error": _error_schema(),
                "AnthropicError": _anthropic_error_schema(),
                **shapes.components,
            },
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "An agent token, a brand's client credential "
                    "(client_id:api_key:api_secret) or, for the vault, the operator token. "
                    "The requirement lists the scope the token needs.",
                }
            },
            "headers": _headers(),
        },
    }
    if unknown_root:
        doc["x-undocumented-root-routes"] = unknown_root
    return doc


def undocumented(doc: Schema) -> list[str]:
    """Routes the document lists without a description (a test keeps this empty)."""
    missing = [
        f"{method.upper()} {path}"
        for path, item in doc["paths"].items()
        for method, operation in item.items()
        if operation.get("x-undocumented")
    ]
    return missing + list(doc.get("x-undocumented-root-routes", ()))


async def openapi_json(request: Request) -> Response:
    """``GET /openapi.json``: built once per app, at its first request."""
    body = getattr(request.app.state, "openapi_json", None)
    if body is None:
        body = orjson.dumps(build_document(request.app.routes))
        request.app.state.openapi_json = body
    return Response(body, media_type="application/json", headers={REQUEST_ID: request_id(request)})


ROUTES = [Route("/openapi.json", openapi_json, methods=["GET"])]
