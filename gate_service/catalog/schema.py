"""The catalog's records, and the one JSON-document format for them.

Providers, models and aliases are plain frozen dataclasses. The bundled YAML files and
the ``catalog_entry`` rows both hold the same JSON documents, converted here and nowhere
else (``to_document`` / ``from_document``), so an operator's edit through the admin API
and a change to the shipped data read back identically. ``to_document`` always writes
every field (the canonical form), which makes ``from_document(to_document(x)) == x`` and
the reverse hold exactly.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, TypeAlias

from gate_service.catalog.document_reader import DocumentReader
from gate_service.providers.registry import WIRE_FORMATS

# A provider names one of the adapter registry's formats: the registry is the one list.
API_FORMATS = frozenset(WIRE_FORMATS)
AUTH_SCHEMES = frozenset({"bearer", "x-api-key", "x-goog-api-key"})
CAPABILITIES = frozenset(
    {
        "chat",
        "vision",
        "function_calling",
        "json_mode",
        "embeddings",
        "reasoning",
        "streaming",
        # The media endpoints: /images/generations, /audio/speech, /audio/transcriptions
        # and /audio/translations, /moderations.
        "image_generation",
        "tts",
        "stt",
        "moderation",
    }
)
ALIAS_KINDS = frozenset({"chat", "embedding"})

AliasKind: TypeAlias = Literal["chat", "embedding"]
RecordKind: TypeAlias = Literal["provider", "model", "alias"]
RECORD_KINDS: tuple[RecordKind, ...] = ("provider", "model", "alias")


@dataclass(frozen=True, slots=True)
class ProviderInfo:
    """One upstream vendor: where it lives, how to authenticate, what it refuses."""

    id: str
    name: str
    api_format: str
    base_url: str
    free_tier: bool = False
    free_tier_note: str = ""
    local: bool = False
    key_required: bool = True
    # Environment variables that may hold a pool key, first match wins.
    env_vars: tuple[str, ...] = ()
    auth: str = "bearer"
    # The key record carries the address (Cloudflare account URL, a local server).
    base_url_per_key: bool = False
    # Serves whatever model name it is given (local servers): chains may name any model.
    any_model: bool = False
    # Request fields the vendor answers with a 400/422; the adapter strips them.
    rejected_params: tuple[str, ...] = ()
    # Free-tier traffic may be used for training: PII-safe aliases skip free-tier keys.
    trains_on_free_tier: bool = False
    # Extra static headers, as ordered pairs so the record stays hashable.
    headers: tuple[tuple[str, str], ...] = ()

    def header_map(self) -> dict[str, str]:
        """The static headers as a fresh dict, ready to merge into a request."""
        return dict(self.headers)


@dataclass(frozen=True, slots=True)
class ModelInfo:
    """One model as one provider serves it; token prices are USD per 1M tokens, the
    unit prices (images, speech, transcription) USD per image, per input character and
    per audio second."""

    provider: str
    provider_model: str
    display_name: str
    context_window: int
    max_output_tokens: int
    capabilities: tuple[str, ...]
    free_tier: bool
    input_per_million: float
    output_per_million: float
    cached_input_per_million: float
    created: int
    # Other names clients use for the same model (``gpt-4o`` for ``openai/gpt-4o``).
    also_known_as: tuple[str, ...] = ()
    # Embedding models: the length of the vectors they answer by default.
    dimensions: int | None = None
    per_image_usd: float = 0.0
    per_character_usd: float = 0.0
    per_audio_second_usd: float = 0.0

    @property
    def id(self) -> str:
        """The catalog id, ``<provider>/<provider_model>``."""
        return f"{self.provider}/{self.provider_model}"

    def has(self, capability: str) -> bool:
        return capability in self.capabilities


@dataclass(frozen=True, slots=True)
class Candidate:
    """One step of an alias chain: a provider and the model id that provider takes."""

    provider: str
    model: str

    @property
    def model_id(self) -> str:
        """The catalog id of the model this candidate names."""
        return f"{self.provider}/{self.model}"

    @classmethod
    def parse(cls, text: str) -> Candidate:
        """Parse ``provider:model``, splitting on the first colon only.

        Model ids may contain colons themselves (``meta-llama/llama-3.3-70b-instruct:free``,
        ``llama3.1:8b``), provider ids never do.
        """
        provider, sep, model = text.partition(":")
        if not sep or not provider or not model:
            raise ValueError(f"chain entry {text!r} is not of the form provider:model")
        return cls(provider, model)

    def __str__(self) -> str:
        return f"{self.provider}:{self.model}"


@dataclass(frozen=True, slots=True)
class AliasInfo:
    """A task alias: an ordered chain of candidates tried first to last."""

    id: str
    use_case: str
    chain: tuple[Candidate, ...]
    pii_safe: bool = False
    # Another alias whose chain is tried once this one's is exhausted.
    falls_through_to: str | None = None
    kind: AliasKind = "chat"
    # Output vector size, embedding aliases only.
    dimensions: int | None = None
    # Capabilities every slot of the chain must have: ``function_calling`` makes a tool
    # alias, whose chain may only name models that can call tools (alias administration
    # refuses other slots).
    requires: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class CatalogData:
    """Everything the catalog holds, in file order (order is meaningful for providers)."""

    providers: tuple[ProviderInfo, ...]
    models: tuple[ModelInfo, ...]
    aliases: tuple[AliasInfo, ...]


CatalogRecord: TypeAlias = ProviderInfo | ModelInfo | AliasInfo


# --- domain -> document -------------------------------------------------------------


def _provider_document(p: ProviderInfo) -> dict[str, Any]:
    return {
        "id": p.id,
        "name": p.name,
        "api_format": p.api_format,
        "base_url": p.base_url,
        "free_tier": p.free_tier,
        "free_tier_note": p.free_tier_note,
        "local": p.local,
        "key_required": p.key_required,
        "env_vars": list(p.env_vars),
        "auth": p.auth,
        "base_url_per_key": p.base_url_per_key,
        "any_model": p.any_model,
        "rejected_params": list(p.rejected_params),
        "trains_on_free_tier": p.trains_on_free_tier,
        "headers": dict(p.headers),
    }


def _model_document(m: ModelInfo) -> dict[str, Any]:
    return {
        "provider": m.provider,
        "provider_model": m.provider_model,
        "display_name": m.display_name,
        "context_window": m.context_window,
        "max_output_tokens": m.max_output_tokens,
        "capabilities": list(m.capabilities),
        "free_tier": m.free_tier,
        "pricing": {
            "input": m.input_per_million,
            "output": m.output_per_million,
            "cached_input": m.cached_input_per_million,
            "image": m.per_image_usd,
            "character": m.per_character_usd,
            "audio_second": m.per_audio_second_usd,
        },
        "created": m.created,
        "also_known_as": list(m.also_known_as),
        "dimensions": m.dimensions,
    }


def _alias_document(a: AliasInfo) -> dict[str, Any]:
    return {
        "id": a.id,
        "use_case": a.use_case,
        "kind": a.kind,
        "chain": [str(c) for c in a.chain],
        "pii_safe": a.pii_safe,
        "falls_through_to": a.falls_through_to,
        "dimensions": a.dimensions,
        "requires": list(a.requires),
    }


def kind_of(record: CatalogRecord) -> RecordKind:
    """The ``catalog_entry.kind`` a record is stored under."""
    if isinstance(record, ProviderInfo):
        return "provider"
    if isinstance(record, ModelInfo):
        return "model"
    return "alias"


def record_id(record: CatalogRecord) -> str:
    """The ``catalog_entry.id`` a record is stored under."""
    return record.id


def to_document(record: CatalogRecord) -> dict[str, Any]:
    """The canonical JSON-ready document of a record (every field present)."""
    if isinstance(record, ProviderInfo):
        return _provider_document(record)
    if isinstance(record, ModelInfo):
        return _model_document(record)
    return _alias_document(record)


# --- document -> domain -------------------------------------------------------------


def _price(reader: DocumentReader, pricing: Mapping[str, Any], key: str, default: float) -> float:
    value = pricing.get(key, default)
    if value is None:
        value = default
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{reader.where}: pricing.{key} must be a number")
    return float(value)


def _provider_from(doc: Mapping[str, Any]) -> ProviderInfo:
    r = DocumentReader("provider", doc)
    headers = r.mapping("headers")
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in headers.items()):
        raise ValueError(f"{r.where}: 'headers' must map strings to strings")
    return ProviderInfo(
        id=r.text("id", required=True),
        name=r.text("name", required=True),
        api_format=r.text("api_format", required=True),
        base_url=r.text("base_url", required=True),
        free_tier=r.flag("free_tier", False),
        free_tier_note=r.text("free_tier_note"),
        local=r.flag("local", False),
        key_required=r.flag("key_required", True),
        env_vars=r.texts("env_vars"),
        auth=r.text("auth", "bearer"),
        base_url_per_key=r.flag("base_url_per_key", False),
        any_model=r.flag("any_model", False),
        rejected_params=r.texts("rejected_params"),
        trains_on_free_tier=r.flag("trains_on_free_tier", False),
        headers=tuple(headers.items()),
    )


def _model_from(doc: Mapping[str, Any]) -> ModelInfo:
    r = DocumentReader("model", doc)
    pricing = r.mapping("pricing")
    input_price = _price(r, pricing, "input", 0.0)
    return ModelInfo(
        provider=r.text("provider", required=True),
        provider_model=r.text("provider_model", required=True),
        display_name=r.text("display_name", required=True),
        context_window=r.integer("context_window", required=True),
        max_output_tokens=r.integer("max_output_tokens", required=True),
        capabilities=r.texts("capabilities"),
        free_tier=r.flag("free_tier", False),
        input_per_million=input_price,
        output_per_million=_price(r, pricing, "output", 0.0),
        # No cache discount unless the provider publishes one.
        cached_input_per_million=_price(r, pricing, "cached_input", input_price),
        created=r.integer("created"),
        also_known_as=r.texts("also_known_as"),
        dimensions=r.opt_integer("dimensions"),
        per_image_usd=_price(r, pricing, "image", 0.0),
        per_character_usd=_price(r, pricing, "character", 0.0),
        per_audio_second_usd=_price(r, pricing, "audio_second", 0.0),
    )


def _alias_from(doc: Mapping[str, Any]) -> AliasInfo:
    r = DocumentReader("alias", doc)
    kind = r.text("kind", "chat")
    if kind not in ALIAS_KINDS:
        raise ValueError(f"{r.where}: unknown alias kind {kind!r}")
    return AliasInfo(
        id=r.text("id", required=True),
        use_case=r.text("use_case"),
        chain=tuple(Candidate.parse(entry) for entry in r.texts("chain")),
        pii_safe=r.flag("pii_safe", False),
        falls_through_to=r.opt_text("falls_through_to"),
        kind="embedding" if kind == "embedding" else "chat",
        dimensions=r.opt_integer("dimensions"),
        requires=r.texts("requires"),
    )


_READERS: dict[str, Callable[[Mapping[str, Any]], CatalogRecord]] = {
    "provider": _provider_from,
    "model": _model_from,
    "alias": _alias_from,
}

# The fields each document may carry; anything else in a shipped file is a typo.
DOCUMENT_FIELDS: dict[str, frozenset[str]] = {
    "provider": frozenset(ProviderInfo.__dataclass_fields__),
    "model": frozenset(ModelInfo.__dataclass_fields__)
    - {
        "input_per_million",
        "output_per_million",
        "cached_input_per_million",
        "per_image_usd",
        "per_character_usd",
        "per_audio_second_usd",
    }
    | {"pricing"},
    "alias": frozenset(AliasInfo.__dataclass_fields__),
}


def from_document(kind: str, doc: Mapping[str, Any], *, strict: bool = False) -> CatalogRecord:
    """Build a record from its document; ``ValueError`` on a malformed one.

    Missing optional fields take their defaults. Unknown fields are ignored unless
    ``strict`` (the bundled files are read strictly to catch typos; stored rows are not,
    so a newer release's extra fields do not break an older one reading them).
    """
    reader = _READERS.get(kind)
    if reader is None:
        raise ValueError(f"unknown catalog record kind {kind!r}")
    if strict and isinstance(doc, Mapping):
        unknown = set(doc) - DOCUMENT_FIELDS[kind]
        if unknown:
            raise ValueError(f"{kind} {doc.get('id', '?')}: unknown fields {sorted(unknown)}")
    return reader(doc)


def provider_from_document(doc: Mapping[str, Any], *, strict: bool = False) -> ProviderInfo:
    record = from_document("provider", doc, strict=strict)
    assert isinstance(record, ProviderInfo)
    return record


def model_from_document(doc: Mapping[str, Any], *, strict: bool = False) -> ModelInfo:
    record = from_document("model", doc, strict=strict)
    assert isinstance(record, ModelInfo)
    return record


def alias_from_document(doc: Mapping[str, Any], *, strict: bool = False) -> AliasInfo:
    record = from_document("alias", doc, strict=strict)
    assert isinstance(record, AliasInfo)
    return record
