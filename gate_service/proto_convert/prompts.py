"""Saved prompts: domain ⇄ proto for the servicer, JSON ⇄ proto for the bridge.

JSON uses the proto's field names. In an answer every key is written: an unset model is
``null``, each unset setting ``null`` (``stop``: ``[]``), ``last_used`` ``null`` until the
prompt is first used. In a request ``null`` means "not given", except in an update where
it clears: ``description`` to empty, ``model`` (the request's model is used again),
``settings`` (all of them) and ``variables`` (derived from the system prompt again). A
value of the wrong type, or a field we do not know, is a 400 naming it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gate_service.errors import invalid
from gate_service.prompts.records import (
    DEFAULT_LIMIT,
    NewPrompt,
    PromptPatch,
    PromptQuery,
    PromptSettings,
    PromptView,
)
from gate_service.prompts.validation import clean_project
from gate_service.proto_convert.jsonvalues import (
    as_dict,
    as_float,
    as_int,
    as_int32,
    as_list,
    as_str,
)
from spidergate.v1 import prompts_pb2 as pb

_TEXT = ("project_id", "name", "description", "system_prompt", "model")
_CREATE_FIELDS = frozenset({*_TEXT, "settings", "variables"})
_UPDATE_FIELDS = _CREATE_FIELDS - {"project_id"}
_FLOATS = ("temperature", "top_p", "presence_penalty", "frequency_penalty")
SETTINGS_KEYS = (*_FLOATS, "max_tokens", "stop", "seed")


def _opt(message: Any, name: str) -> Any:
    return getattr(message, name) if message.HasField(name) else None


# ------------------------------------------------------------------ domain <-> proto


def settings_to_proto(s: PromptSettings) -> pb.PromptSettings:
    return pb.PromptSettings(
        temperature=s.temperature,
        top_p=s.top_p,
        max_tokens=s.max_tokens,
        presence_penalty=s.presence_penalty,
        frequency_penalty=s.frequency_penalty,
        stop=list(s.stop),
        seed=s.seed,
    )


def settings_from_proto(s: pb.PromptSettings) -> PromptSettings:
    return PromptSettings(
        temperature=_opt(s, "temperature"),
        top_p=_opt(s, "top_p"),
        max_tokens=_opt(s, "max_tokens"),
        presence_penalty=_opt(s, "presence_penalty"),
        frequency_penalty=_opt(s, "frequency_penalty"),
        stop=tuple(s.stop),
        seed=_opt(s, "seed"),
    )


def prompt_to_proto(view: PromptView) -> pb.SavedPrompt:
    return pb.SavedPrompt(
        id=view.id,
        project_id=view.project_id,
        name=view.name,
        description=view.description,
        system_prompt=view.system_prompt,
        model=view.model,
        settings=settings_to_proto(view.settings),
        variables=list(view.variables),
        version=view.version,
        created=int(view.created_at.timestamp()),
        updated=int(view.updated_at.timestamp()),
        last_used=None if view.last_used_at is None else int(view.last_used_at.timestamp()),
    )


def new_prompt_from_proto(req: pb.CreatePromptRequest) -> NewPrompt:
    return NewPrompt(
        name=req.name,
        project_id=req.project_id,
        description=req.description,
        system_prompt=req.system_prompt,
        model=req.model,
        settings=settings_from_proto(req.settings),
        variables=tuple(req.variables) or None,
    )


def patch_from_proto(req: pb.UpdatePromptRequest) -> PromptPatch:
    return PromptPatch(
        name=_opt(req, "name"),
        description=_opt(req, "description"),
        system_prompt=_opt(req, "system_prompt"),
        model=_opt(req, "model"),
        settings=settings_from_proto(req.settings) if req.HasField("settings") else None,
        variables=tuple(req.variables) if req.set_variables or req.variables else None,
    )


def query_from_proto(req: pb.ListPromptsRequest | pb.SearchPromptsRequest) -> PromptQuery:
    limit = _opt(req, "limit")
    return PromptQuery(
        limit=DEFAULT_LIMIT if limit is None else limit,
        offset=req.offset,
        project_id=req.project_id or None,
        text=req.q if isinstance(req, pb.SearchPromptsRequest) else None,
    )


# ------------------------------------------------------------------ JSON -> proto


def _settings(value: Any, param: str = "settings") -> pb.PromptSettings:
    body = as_dict(value, param)
    out = pb.PromptSettings()
    for key, item in body.items():
        name = f"{param}.{key}"
        if key not in SETTINGS_KEYS:
            raise invalid(
                f"unknown setting '{key}'; expected some of {', '.join(SETTINGS_KEYS)}", name
            )
        if item is None:
            continue
        if key in _FLOATS:
            setattr(out, key, as_float(item, name))
        elif key == "max_tokens":
            out.max_tokens = as_int32(item, name)
        elif key == "seed":
            out.seed = as_int(item, name)
        else:
            if isinstance(item, str):
                item = [item]  # a single stop sequence, as chat takes it
            out.stop.extend(as_str(s, f"{name}[{i}]") for i, s in enumerate(as_list(item, name)))
    return out


def _variables(value: Any) -> list[str]:
    return [as_str(v, f"variables[{i}]") for i, v in enumerate(as_list(value, "variables"))]


def create_request_from_json(body: Mapping[str, Any]) -> pb.CreatePromptRequest:
    message = pb.CreatePromptRequest()
    for key, value in body.items():
        if key not in _CREATE_FIELDS:
            raise invalid(f"unknown field '{key}'", key)
        if value is None:
            continue
        if key in _TEXT:
            setattr(message, key, as_str(value, key))
        elif key == "settings":
            message.settings.CopyFrom(_settings(value))
        else:
            message.variables.extend(_variables(value))
    if body.get("name") is None:
        raise invalid("'name' is required", "name")
    return message


def update_request_from_json(prompt_id: str, body: Mapping[str, Any]) -> pb.UpdatePromptRequest:
    message = pb.UpdatePromptRequest(prompt_id=prompt_id)
    for key, value in body.items():
        if key not in _UPDATE_FIELDS:
            if key == "project_id":
                raise invalid("a prompt's project cannot be changed: create it there", key)
            raise invalid(f"unknown field '{key}'", key)
        if key == "settings":
            message.settings.CopyFrom(pb.PromptSettings() if value is None else _settings(value))
        elif key == "variables":
            message.set_variables = True
            if value is not None:
                message.variables.extend(_variables(value))
        elif value is None:
            if key == "name" or key == "system_prompt":
                raise invalid(f"'{key}' cannot be null", key)
            setattr(message, key, "")
        else:
            setattr(message, key, as_str(value, key))
    return message


def _page(params: Mapping[str, str], message: Any) -> None:
    if "limit" in params:
        message.limit = as_int32(_number(params["limit"], "limit"), "limit")
    if "offset" in params:
        message.offset = as_int32(_number(params["offset"], "offset"), "offset")
    if params.get("project_id"):
        message.project_id = clean_project(params["project_id"])


def _number(text: str, param: str) -> int:
    try:
        return int(text.strip())
    except ValueError:
        raise invalid(f"'{param}' must be an integer", param) from None


def list_request_from_query(params: Mapping[str, str]) -> pb.ListPromptsRequest:
    message = pb.ListPromptsRequest()
    _page(params, message)
    return message


def search_request_from_query(params: Mapping[str, str]) -> pb.SearchPromptsRequest:
    if not params.get("q"):
        raise invalid("'q' is required: the text to find", "q")
    message = pb.SearchPromptsRequest(q=params["q"])
    _page(params, message)
    return message


def get_request_from_query(prompt_id: str, params: Mapping[str, str]) -> pb.GetPromptRequest:
    message = pb.GetPromptRequest(prompt_id=prompt_id)
    if "version" in params:
        message.version = as_int32(_number(params["version"], "version"), "version")
    return message


# ------------------------------------------------------------------ proto -> JSON


def settings_to_json(s: pb.PromptSettings) -> dict[str, Any]:
    out: dict[str, Any] = {key: _opt(s, key) for key in (*_FLOATS, "max_tokens", "seed")}
    out["stop"] = list(s.stop)
    return out


def prompt_to_json(p: pb.SavedPrompt) -> dict[str, Any]:
    return {
        "id": p.id,
        "object": "prompt",
        "project_id": p.project_id,
        "name": p.name,
        "description": p.description,
        "system_prompt": p.system_prompt,
        "model": p.model or None,
        "settings": settings_to_json(p.settings),
        "variables": list(p.variables),
        "version": p.version,
        "created": p.created,
        "updated": p.updated,
        "last_used": _opt(p, "last_used"),
    }


def page_to_json(prompts: Any, has_more: bool) -> dict[str, Any]:
    return {"object": "list", "data": [prompt_to_json(p) for p in prompts], "has_more": has_more}
