"""The media catalogue and generation: domain → proto (the core's edge), query and JSON
→ proto (the bridge's readers, also applied by the core to input the bridge forwarded
untyped) and proto → JSON (what the bridge serves)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gate_service.catalog.schema import ModelInfo
from gate_service.errors import invalid
from gate_service.media.catalog import MODALITIES, InputSpec, MediaModel
from gate_service.media.generation import MediaGeneration
from gate_service.proto_convert.jsonvalues import as_dict, as_str, dump_json, load_json
from spidergate.v1 import media_pb2 as pb

_TRUE, _FALSE = ("true", "1", "yes"), ("false", "0", "no", "")


def list_request_from_query(params: Mapping[str, str]) -> pb.ListMediaModelsRequest:
    modality = params.get("modality", "")
    if modality and modality not in MODALITIES:
        raise invalid(f"'modality' must be one of {', '.join(MODALITIES)}", "modality")
    flag = params.get("include_inactive", "").lower()
    if flag not in _TRUE + _FALSE:
        raise invalid("'include_inactive' must be true or false", "include_inactive")
    return pb.ListMediaModelsRequest(modality=modality, include_inactive=flag in _TRUE)


def generation_request_from_json(body: dict[str, Any]) -> pb.CreateMediaGenerationRequest:
    if not isinstance(body.get("model"), str) or not body["model"]:
        raise invalid("'model' is required: '<provider>/<model>'", "model")
    params = as_dict(body.get("params") or {}, "params")
    prompt = body.get("prompt")
    return pb.CreateMediaGenerationRequest(
        model=body["model"],
        params_json=dump_json(params),
        prompt=as_str(prompt, "prompt") if prompt is not None else "",
    )


def generation_params(message: pb.CreateMediaGenerationRequest) -> dict[str, Any]:
    params = load_json(message.params_json)
    return as_dict(params if params is not None else {}, "params")


def _input_to_proto(spec: InputSpec) -> pb.MediaInput:
    message = pb.MediaInput(
        type=spec.type, required=spec.required, enum=spec.enum, default_json=dump_json(spec.default)
    )
    if spec.max_length is not None:
        message.max_length = spec.max_length
    for name in ("min", "max", "step"):
        value = getattr(spec, name)
        if value is not None:
            setattr(message, name, value)
    return message


def media_model_to_proto(model: MediaModel, info: ModelInfo | None) -> pb.MediaModel:
    """``info``: the model catalog's entry, whose unit prices are the ones shown."""
    pricing = pb.MediaPricing()
    if info is not None:
        pricing = pb.MediaPricing(
            per_image_usd=info.per_image_usd,
            per_character_usd=info.per_character_usd,
            per_audio_second_usd=info.per_audio_second_usd,
        )
    return pb.MediaModel(
        id=model.id,
        provider=model.provider,
        display_name=model.display_name,
        modality=model.modality,
        status=model.status,
        inputs={k: _input_to_proto(v) for k, v in model.inputs.items()},
        pricing=pricing,
    )


def _input_to_json(message: pb.MediaInput) -> dict[str, Any]:
    spec: dict[str, Any] = {"type": message.type}
    if message.required:
        spec["required"] = True
    if message.HasField("max_length"):
        spec["maxLength"] = message.max_length
    if message.enum:
        spec["enum"] = list(message.enum)
    default = load_json(message.default_json)
    if default is not None:
        spec["default"] = default
    for name in ("min", "max", "step"):
        if message.HasField(name):
            value = getattr(message, name)
            spec[name] = int(value) if message.type == "int" else value
    return spec


def media_model_to_json(message: pb.MediaModel) -> dict[str, Any]:
    p = message.pricing
    pricing = {
        k: v
        for k, v in (
            ("per_image_usd", p.per_image_usd),
            ("per_character_usd", p.per_character_usd),
            ("per_audio_second_usd", p.per_audio_second_usd),
        )
        if v
    }
    return {
        "id": message.id,
        "object": "media_model",
        "provider": message.provider,
        "display_name": message.display_name,
        "modality": message.modality,
        "status": message.status,
        "inputs": {k: _input_to_json(v) for k, v in sorted(message.inputs.items())},
        "pricing": pricing,
    }


def generation_to_proto(
    made: MediaGeneration, headers: dict[str, str]
) -> pb.CreateMediaGenerationResponse:
    return pb.CreateMediaGenerationResponse(
        created=made.created,
        model=made.model,
        data=[pb.MediaOutput(url=d.url or "", b64_json=d.b64_json or "") for d in made.data],
        est_cost=pb.EstimatedCost(
            billed_usd=made.billed_usd, provider_cost_usd=made.provider_cost_usd
        ),
        dropped_params=made.dropped,
        headers=headers,
    )


def generation_to_json(message: pb.CreateMediaGenerationResponse) -> dict[str, Any]:
    data = []
    for d in message.data:
        data.append({"url": d.url} if d.url else {"b64_json": d.b64_json})
    return {
        "created": message.created,
        "model": message.model,
        "data": data,
        "est_cost": {
            "billed_usd": message.est_cost.billed_usd,
            "provider_cost_usd": message.est_cost.provider_cost_usd,
        },
    }
