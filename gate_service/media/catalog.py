"""The media catalogue (``catalog/data/media.yaml``) as typed records: each media model,
its modality, status and the schema of its inputs. Prices are not here: they are the
model catalog's (``models.yaml``), read where a model is shown or billed."""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import yaml

MODALITIES = ("text-to-image", "text-to-video", "tts", "stt", "image-to-image", "image-to-video")
STATUSES = ("active", "coming_soon", "disabled")
INPUT_TYPES = ("string", "enum", "float", "int", "bool")


@dataclass(frozen=True, slots=True)
class InputSpec:
    """One parameter a media model takes (media.md's ``inputs`` schema)."""

    type: str
    required: bool = False
    max_length: int | None = None
    enum: tuple[str, ...] = ()
    default: Any = None
    min: float | None = None
    max: float | None = None
    step: float | None = None


@dataclass(frozen=True, slots=True)
class MediaModel:
    id: str  # <provider>/<model>: also its id in the model catalog
    display_name: str
    modality: str
    status: str
    inputs: dict[str, InputSpec] = field(default_factory=dict)

    @property
    def provider(self) -> str:
        return self.id.split("/", 1)[0]

    @property
    def model(self) -> str:
        return self.id.split("/", 1)[1]


@dataclass(frozen=True, slots=True)
class MediaCatalog:
    models: tuple[MediaModel, ...]

    def get(self, model_id: str) -> MediaModel | None:
        return next((m for m in self.models if m.id == model_id), None)

    def listed(self, modality: str | None, include_inactive: bool) -> list[MediaModel]:
        """Models of ``modality`` (all when None); only active ones unless
        ``include_inactive`` (then coming-soon ones too: a disabled model stays hidden)."""
        return [
            m
            for m in self.models
            if (modality is None or m.modality == modality)
            and (m.status == "active" or (include_inactive and m.status == "coming_soon"))
        ]


def _input(name: str, raw: dict[str, Any]) -> InputSpec:
    kind = raw.get("type")
    if kind not in INPUT_TYPES:
        raise ValueError(f"media input {name!r}: type {kind!r} is not one of {INPUT_TYPES}")
    return InputSpec(
        type=kind,
        required=bool(raw.get("required", False)),
        max_length=raw.get("maxLength"),
        enum=tuple(str(v) for v in raw.get("enum", ())),
        default=raw.get("default"),
        min=raw.get("min"),
        max=raw.get("max"),
        step=raw.get("step"),
    )


def parse_media_catalog(entries: list[dict[str, Any]]) -> MediaCatalog:
    """Typed records from the YAML's entries; a malformed entry fails at start-up."""
    models = []
    for raw in entries:
        model = MediaModel(
            id=raw["id"],
            display_name=raw.get("display_name", raw["id"]),
            modality=raw["modality"],
            status=raw.get("status", "active"),
            inputs={k: _input(k, v) for k, v in (raw.get("inputs") or {}).items()},
        )
        if model.modality not in MODALITIES or model.status not in STATUSES:
            raise ValueError(f"media model {model.id}: bad modality or status")
        models.append(model)
    return MediaCatalog(tuple(models))


def load_media_catalog() -> MediaCatalog:
    text = resources.files("gate_service.catalog").joinpath("data/media.yaml").read_text()
    return parse_media_catalog(yaml.safe_load(text) or [])
