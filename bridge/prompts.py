"""The saved prompts' REST routes: ``/prompts`` (create, list), ``/prompts/search``,
``/prompts/{prompt_id}`` (get, with ``?version=N``; update; delete: 204). JSON in and out,
the documented error envelope; the Authorization header travels to the core as gRPC
metadata, which decides who may do what (reading: ``gate:chat``; writing: the brand's
client credential).

A body or query string the bridge cannot type goes to the core as is (``raw_body`` /
``raw_query``): the prompt service checks the caller first (401, 403), then reads it with
the same reader and answers its 400, in the one call the route makes.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bridge.body import read_json
from bridge.openapi_operations import Op
from bridge.proto_schema import Schema, View, nullable, request_view
from bridge.query import read_query
from bridge.responses import REQUEST_ID, call_metadata, reply, request_id
from gate_service.prompts import validation as rules
from gate_service.prompts.records import DEFAULT_LIMIT, MAX_LIMIT
from gate_service.proto_convert import prompts as convert
from spidergate.v1 import prompts_pb2 as pb

_TIMEOUT_S = 30.0


def _prompts(request: Request) -> Any:
    """The core's prompt service (a stub, or its stand-in over several cores)."""
    return request.app.state.core.prompts


async def create_prompt(request: Request) -> Response:
    md = call_metadata(request)
    message = await read_json(
        request,
        convert.create_request_from_json,
        lambda raw: pb.CreatePromptRequest(raw_body=raw),
    )
    answer = await _prompts(request).CreatePrompt(message, metadata=md, timeout=_TIMEOUT_S)
    return reply(request, convert.prompt_to_json(answer.prompt), answer.headers, status=201)


async def list_prompts(request: Request) -> Response:
    md = call_metadata(request)
    message = read_query(
        request, convert.list_request_from_query, lambda raw: pb.ListPromptsRequest(raw_query=raw)
    )
    answer = await _prompts(request).ListPrompts(message, metadata=md, timeout=_TIMEOUT_S)
    return reply(request, convert.page_to_json(answer.prompts, answer.has_more), answer.headers)


async def search_prompts(request: Request) -> Response:
    md = call_metadata(request)
    message = read_query(
        request,
        convert.search_request_from_query,
        lambda raw: pb.SearchPromptsRequest(raw_query=raw),
    )
    answer = await _prompts(request).SearchPrompts(message, metadata=md, timeout=_TIMEOUT_S)
    return reply(request, convert.page_to_json(answer.prompts, answer.has_more), answer.headers)


async def get_prompt(request: Request) -> Response:
    md = call_metadata(request)
    prompt_id = request.path_params["prompt_id"]
    message = read_query(
        request,
        lambda params: convert.get_request_from_query(prompt_id, params),
        lambda raw: pb.GetPromptRequest(prompt_id=prompt_id, raw_query=raw),
    )
    answer = await _prompts(request).GetPrompt(message, metadata=md, timeout=_TIMEOUT_S)
    return reply(request, convert.prompt_to_json(answer.prompt), answer.headers)


async def update_prompt(request: Request) -> Response:
    md = call_metadata(request)
    prompt_id = request.path_params["prompt_id"]
    message = await read_json(
        request,
        lambda body: convert.update_request_from_json(prompt_id, body),
        lambda raw: pb.UpdatePromptRequest(prompt_id=prompt_id, raw_body=raw),
    )
    answer = await _prompts(request).UpdatePrompt(message, metadata=md, timeout=_TIMEOUT_S)
    return reply(request, convert.prompt_to_json(answer.prompt), answer.headers)


async def delete_prompt(request: Request) -> Response:
    md = call_metadata(request)
    message = pb.DeletePromptRequest(prompt_id=request.path_params["prompt_id"])
    answer = await _prompts(request).DeletePrompt(message, metadata=md, timeout=_TIMEOUT_S)
    return Response(status_code=204, headers={**answer.headers, REQUEST_ID: request_id(request)})


# ---------------------------------------------------------------- the OpenAPI document

_NAME: Schema = {"type": "string", "pattern": "^[A-Za-z0-9_.-]{1,64}$"}
_TEXT_LIMITS: dict[str, Schema] = {
    "project_id": {
        "pattern": "^[A-Za-z0-9_.-]{0,64}$",
        "description": 'Empty or absent: "default"',
    },
    "name": {**_NAME, "examples": ["support-triage"]},
    "description": {"maxLength": rules.MAX_DESCRIPTION},
    "system_prompt": {
        "maxLength": rules.MAX_SYSTEM_PROMPT,
        "description": "May hold {{variable}} placeholders",
    },
    "model": {"maxLength": rules.MAX_MODEL, "description": "Empty: the request's model"},
}


def _settings_view(name: str) -> View:
    ranges = rules.CHAT_RANGES
    limits: dict[str, Schema] = {
        key: {
            **({"minimum": ranges[key][0]} if ranges[key][0] is not None else {}),
            **({"maximum": ranges[key][1]} if ranges[key][1] is not None else {}),
        }
        for key in ("temperature", "top_p", "max_tokens", "presence_penalty", "frequency_penalty")
    }
    one: Schema = {"type": "string", "minLength": 1, "maxLength": rules.MAX_STOP_CHARS}
    stop = {"anyOf": [one, {"type": "array", "items": one, "maxItems": rules.MAX_STOP}]}
    return request_view(pb.PromptSettings, name=name, limits=limits, fields={"stop": stop})


def _shapes() -> dict[str, Any]:
    settings = View(
        pb.PromptSettings,
        name="PromptSettingsAnswer",
        fields={
            "stop": {"type": "array", "items": {"type": "string"}},
        },
    )
    prompt = View(
        pb.SavedPrompt,
        name="Prompt",
        fields={"model": nullable({"type": "string"}), "settings": settings},
        add={"object": {"type": "string", "const": "prompt"}},
    )
    listing = View(
        pb.ListPromptsResponse,
        name="PromptList",
        omit=frozenset({"headers"}),  # HTTP response headers, not body
        rename={"prompts": "data"},
        fields={"data": {"type": "array", "items": prompt}},
        add={"object": {"type": "string", "const": "list"}},
    )
    page = {
        "limit": {"minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT},
        "offset": {"minimum": 0, "default": 0},
        "project_id": _NAME,
    }
    create = request_view(
        pb.CreatePromptRequest,
        name="PromptCreate",
        omit=frozenset({"raw_body"}),
        limits=_TEXT_LIMITS,
        fields={"settings": _settings_view("PromptSettingsCreate")},
        required=("name",),
        closed=True,
    )
    update = request_view(
        pb.UpdatePromptRequest,
        name="PromptUpdate",
        omit=frozenset({"raw_body", "prompt_id", "set_variables"}),
        limits={k: v for k, v in _TEXT_LIMITS.items() if k != "project_id"},
        fields={"settings": nullable({"$ref": "#/components/schemas/PromptSettingsCreate"})},
        closed=True,
    )
    return {
        "prompt": prompt,
        "list": listing,
        "create": create,
        "update": update,
        "list_query": View(pb.ListPromptsRequest, limits=page, empty_is_unset=True),
        "search_query": View(
            pb.SearchPromptsRequest,
            limits={**page, "q": {"minLength": 1, "maxLength": 200}},
            required=("q",),
            empty_is_unset=True,
        ),
        "get": View(
            pb.GetPromptRequest,
            omit=frozenset({"prompt_id"}),  # in the path
            limits={"version": {"minimum": 1}},
        ),
        "path": View(pb.DeletePromptRequest),
    }


_ABOUT = (
    'Saved prompts of the caller\'s brand (docs/api.md, "Saved prompts"). Reading needs '
    "`gate:chat`; creating, changing and deleting need the brand's client credential "
    "(agent tokens: 403 permission_denied). Another brand's prompt answers 404 exactly as "
    "an unknown id."
)


def OPERATIONS() -> dict[Any, Op]:
    s = _shapes()

    def op(summary: str, answer: Any, errors: tuple[str, ...] = (), **kw: Any) -> Op:
        return Op(summary, "prompts", answer, errors=errors, description=_ABOUT, **kw)

    writes = ("permission_denied",)
    return {
        create_prompt: op(
            "Save a prompt (version 1)", s["prompt"], writes, status=201, body=s["create"]
        ),
        list_prompts: op(
            "The brand's prompts, newest first", s["list"], scope="gate:chat", query=s["list_query"]
        ),
        search_prompts: op(
            "Prompts whose name, description or system prompt contain `q`",
            s["list"],
            scope="gate:chat",
            query=s["search_query"],
        ),
        get_prompt: op(
            "One prompt, or one of its earlier versions",
            s["prompt"],
            ("not_found",),
            scope="gate:chat",
            path=s["path"],
            query=s["get"],
        ),
        update_prompt: op(
            "Change the fields given: a new version (settings, if given, replace the old)",
            s["prompt"],
            (*writes, "not_found"),
            path=s["path"],
            body=s["update"],
        ),
        delete_prompt: op(
            "Delete a prompt and its versions",
            s["prompt"],
            (*writes, "not_found"),
            status=204,
            path=s["path"],
        ),
    }


ROUTES = [
    Route("/prompts", list_prompts, methods=["GET"]),
    Route("/prompts", create_prompt, methods=["POST"]),
    Route("/prompts/search", search_prompts, methods=["GET"]),
    Route("/prompts/{prompt_id}", get_prompt, methods=["GET"]),
    Route("/prompts/{prompt_id}", update_prompt, methods=["PATCH"]),
    Route("/prompts/{prompt_id}", delete_prompt, methods=["DELETE"]),
]
