"""Moderation as the core works on it: OpenAI's request and answer, typed.

The input is a string, a list of strings, or a list of multimodal parts (text and
image_url, for omni models): kept as the JSON value the client sent once its shape is
checked. Each result's category maps are kept whole, whatever categories the upstream
sends (new ones appear without notice), as are keys we do not model.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from gate_service.domain.images import MediaMetadata, metadata_to_json
from gate_service.domain.request import Json
from gate_service.errors import invalid
from gate_service.proto_convert.jsonvalues import as_str

DEFAULT_MODERATION_MODEL = "omni-moderation-latest"
_PART_TYPES = ("text", "image_url")

ModerationInput = str | list[Any]


@dataclass(slots=True)
class ModerationRequest:
    input: ModerationInput
    model: str = DEFAULT_MODERATION_MODEL
    extra: Json = field(default_factory=dict)

    def text_chars(self) -> int:
        """Characters of text in the input (its size, for planning)."""
        if isinstance(self.input, str):
            return len(self.input)
        total = 0
        for item in self.input:
            if isinstance(item, str):
                total += len(item)
            elif isinstance(item, dict) and isinstance(item.get("text"), str):
                total += len(item["text"])
        return total


@dataclass(slots=True)
class ModerationResult:
    flagged: bool
    categories: dict[str, bool] = field(default_factory=dict)
    category_scores: dict[str, float] = field(default_factory=dict)
    category_applied_input_types: dict[str, list[str]] = field(default_factory=dict)
    extra: Json = field(default_factory=dict)


@dataclass(slots=True)
class ModerationAnswer:
    id: str
    model: str
    results: list[ModerationResult]
    extra: Json = field(default_factory=dict)
    metadata: MediaMetadata | None = None


def moderation_request_from_json(body: dict[str, Any]) -> ModerationRequest:
    """The typed request; a missing or misshapen ``input`` is a 400 naming it."""
    model = body.get("model")
    value = body.get("input")
    extra = {k: v for k, v in body.items() if k not in ("model", "input")}
    return ModerationRequest(
        input=check_input(value),
        model=as_str(model, "model")
        if model is not None and model != ""
        else DEFAULT_MODERATION_MODEL,
        extra=extra,
    )


def check_input(value: Any) -> ModerationInput:
    """A string, a non-empty list of strings, or a non-empty list of typed parts."""
    if isinstance(value, str):
        return value
    if not isinstance(value, list) or not value:
        raise invalid("'input' must be a string or a non-empty array", "input")
    if all(isinstance(v, str) for v in value):
        return value
    for part in value:
        if not isinstance(part, dict) or part.get("type") not in _PART_TYPES:
            raise invalid(
                "'input' items must all be strings, or all objects of type 'text' or 'image_url'",
                "input",
            )
    return value


def moderation_request_to_json(request: ModerationRequest, model: str | None = None) -> Json:
    return {**request.extra, "model": model or request.model, "input": request.input}


def moderation_answer_from_json(body: dict[str, Any]) -> ModerationAnswer:
    """The upstream's answer, typed; category maps kept whole."""
    results = []
    for item in body.get("results") or []:
        if not isinstance(item, dict):
            continue
        known = {"flagged", "categories", "category_scores", "category_applied_input_types"}
        results.append(
            ModerationResult(
                flagged=bool(item.get("flagged")),
                categories={k: bool(v) for k, v in _obj(item.get("categories")).items()},
                category_scores={
                    k: float(v)
                    for k, v in _obj(item.get("category_scores")).items()
                    if isinstance(v, int | float) and not isinstance(v, bool)
                },
                category_applied_input_types={
                    k: [t for t in v if isinstance(t, str)]
                    for k, v in _obj(item.get("category_applied_input_types")).items()
                    if isinstance(v, list)
                },
                extra={k: v for k, v in item.items() if k not in known},
            )
        )
    extra = {k: v for k, v in body.items() if k not in ("id", "model", "results")}
    return ModerationAnswer(
        id=str(body.get("id") or ""),
        model=str(body.get("model") or ""),
        results=results,
        extra=extra,
    )


def moderation_answer_to_json(answer: ModerationAnswer) -> Json:
    """OpenAI's answer plus ``spidergate_metadata`` (what the bridge serves)."""
    results = []
    for r in answer.results:
        item: Json = {
            **r.extra,
            "flagged": r.flagged,
            "categories": r.categories,
            "category_scores": r.category_scores,
        }
        if r.category_applied_input_types:
            item["category_applied_input_types"] = r.category_applied_input_types
        results.append(item)
    body: Json = {**answer.extra, "id": answer.id, "model": answer.model, "results": results}
    if answer.metadata is not None:
        body["spidergate_metadata"] = metadata_to_json(answer.metadata)
    return body


def _obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}
