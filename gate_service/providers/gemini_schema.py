"""OpenAI tool parameters (JSON Schema) -> Gemini function ``parameters`` (Schema).

Gemini's ``parameters`` takes a subset of OpenAPI 3.0 Schema and answers anything else
with a 400: ``additionalProperties`` (the Developer API refuses it), ``$schema``,
``strict``, ``$ref``/``$defs``, ``oneOf``, ``const``, type lists, string formats other
than ``enum``/``date-time``, an object with empty ``properties``. OpenAI clients send
all of those routinely, so the schema is rewritten: unknown keys dropped, references
inlined, ``["x", "null"]`` turned into ``nullable``, ``const`` into a one-value ``enum``.
"""

from __future__ import annotations

from typing import Any

from gate_service.providers.base import Json

_KEPT = frozenset(
    {
        "type",
        "format",
        "title",
        "description",
        "nullable",
        "enum",
        "maxItems",
        "minItems",
        "minProperties",
        "maxProperties",
        "minLength",
        "maxLength",
        "pattern",
        "example",
        "default",
        "minimum",
        "maximum",
        "propertyOrdering",
    }
)
_FORMATS = {
    "string": {"enum", "date-time"},
    "integer": {"int32", "int64"},
    "number": {"float", "double"},
}
# Self-referencing schemas are unrolled this deep, then cut off as a plain object.
_MAX_DEPTH = 12


def function_parameters(schema: Any) -> Json | None:
    """Gemini ``parameters`` for an OpenAI ``parameters`` schema; None when it has none
    (Gemini refuses an object schema without properties, so the key is left out)."""
    if not isinstance(schema, dict):
        return None
    defs = {**(schema.get("definitions") or {}), **(schema.get("$defs") or {})}
    cleaned = _clean(schema, defs, 0)
    if cleaned.get("type") == "object" and not cleaned.get("properties"):
        return None
    return cleaned


def _clean(node: Any, defs: Json, depth: int) -> Json:
    if not isinstance(node, dict) or depth > _MAX_DEPTH:
        return {"type": "object"}
    ref = node.get("$ref")
    if isinstance(ref, str):
        target = defs.get(ref.rsplit("/", 1)[-1])
        siblings = {k: v for k, v in node.items() if k != "$ref"}
        return _clean({**(target or {"type": "object"}), **siblings}, defs, depth + 1)
    out: Json = {k: v for k, v in node.items() if k in _KEPT}
    _normalise_type(out)
    if "const" in node:
        out["enum"] = [node["const"]]
    if isinstance(props := node.get("properties"), dict) and props:
        out["properties"] = {name: _clean(sub, defs, depth + 1) for name, sub in props.items()}
        if isinstance(node.get("required"), list):
            out["required"] = [r for r in node["required"] if r in props]
    if "items" in node:
        out["items"] = _clean(node["items"], defs, depth + 1)
    variants = node.get("anyOf") or node.get("oneOf")
    if isinstance(variants, list):
        _set_variants(out, [_clean(v, defs, depth + 1) for v in variants])
    if out.get("format") not in _FORMATS.get(str(out.get("type")), set()):
        out.pop("format", None)
    return out


def _normalise_type(out: Json) -> None:
    """``type: [t, "null"]`` -> ``type: t, nullable: true``; several types -> anyOf."""
    kind = out.get("type")
    if not isinstance(kind, list):
        return
    types = [t for t in kind if t != "null"]
    if len(types) < len(kind):
        out["nullable"] = True
    if len(types) == 1:
        out["type"] = types[0]
    else:
        del out["type"]
        if types:
            out["anyOf"] = [{"type": t} for t in types]


def _set_variants(out: Json, variants: list[Json]) -> None:
    """anyOf without its ``null`` member (that becomes ``nullable``), flattened if one."""
    kept = [v for v in variants if v.get("type") != "null"]
    if len(kept) < len(variants):
        out["nullable"] = True
    if len(kept) == 1:
        out.update({k: v for k, v in kept[0].items() if k not in out})
    elif kept:
        out["anyOf"] = kept
