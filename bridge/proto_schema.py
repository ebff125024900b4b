"""JSON Schema of the JSON our converters make of proto messages, read off the descriptors.

The descriptor is the truth for field names and types: scalars with their int32 / int64
ranges, ``repeated``, proto3 ``optional`` (null when unset), enums as the lower-case
words the converters use (``KEY_STATE_COOLDOWN`` -> ``"cooldown"``), map fields, nested
messages (one component each). Three conventions of our protos are read generically: an
``extra_json`` field means unknown keys pass through (an open object), a ``foo_json``
bytes field is the JSON value of key ``foo``, and ``raw_query`` / ``raw_body`` (the
input the bridge could not type, forwarded as is) are no key at all. A real ``oneof`` is
one key, whichever member is set; a message whose only field is a list
(``ContentParts``) is that list.

A :class:`View` states only where a converter's JSON departs from its message: a renamed
or omitted field, a union the converter accepts, keys the bridge adds, a validator's range.
Used by :mod:`bridge.openapi`; no spidergate imports here, only descriptors.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from google.protobuf.descriptor import Descriptor, EnumDescriptor, FieldDescriptor

Schema = dict[str, Any]
# Fields that carry a query string or body the bridge forwarded untyped: never a client's
# parameter, so no shape shows them.
UNTYPED_INPUT = frozenset({"raw_query", "raw_body"})
NULL: Schema = {"type": "null"}
_F = FieldDescriptor


@dataclass(frozen=True, slots=True)
class View:
    """How the JSON of one proto message departs from the message (nothing: it doesn't)."""

    message: Any  # a generated message class, or its Descriptor
    name: str = ""  # the component's name; default: the message's
    only: tuple[str, ...] = ()  # keep only these fields
    omit: frozenset[str] = frozenset()
    rename: Mapping[str, str] = field(default_factory=dict)  # field -> JSON key
    # JSON key -> its shape where the converter reads or writes something else.
    fields: Mapping[str, Any] = field(default_factory=dict)
    add: Mapping[str, Any] = field(default_factory=dict)  # keys the bridge adds
    limits: Mapping[str, Schema] = field(default_factory=dict)  # JSON key -> more keywords
    required: tuple[str, ...] | None = None  # None: every key (an answer written whole)
    null_is_unset: bool = False  # a request: null means "not given", but for these
    not_null: frozenset[str] = frozenset()  # (and the required keys)
    closed: bool = False  # an unknown key is a 400
    empty_is_unset: bool = False  # a query string: `?key=` means the key is not given

    @property
    def descriptor(self) -> Descriptor:
        return getattr(self.message, "DESCRIPTOR", self.message)

    @property
    def key(self) -> str:
        return self.name or self.descriptor.name


def request_view(message: Any, **kw: Any) -> View:
    """A view of JSON a converter reads: nothing required unless said, null is unset."""
    return View(message, **{"required": (), "null_is_unset": True, **kw})


def nullable(schema: Schema) -> Schema:
    """``schema`` or JSON null."""
    kind = schema.get("type")
    if kind == "null" or (isinstance(kind, list) and "null" in kind):
        return schema
    if NULL in schema.get("anyOf", ()):
        return schema
    if isinstance(schema.get("type"), str) and "$ref" not in schema and "enum" not in schema:
        return {**schema, "type": [schema["type"], "null"]}
    if list(schema) == ["anyOf"]:
        return {"anyOf": [*schema["anyOf"], NULL]}
    return {"anyOf": [schema, NULL]}


def not_null(schema: Schema) -> Schema:
    """``schema`` without its null branch (a query or path value is never JSON null)."""
    if isinstance(schema.get("type"), list):
        kinds = [k for k in schema["type"] if k != "null"]
        return {**schema, "type": kinds[0] if len(kinds) == 1 else kinds}
    if "anyOf" in schema and NULL in schema["anyOf"]:
        rest = [s for s in schema["anyOf"] if s != NULL]
        return rest[0] if len(rest) == 1 else {"anyOf": rest}
    return schema


def enum_words(enum: EnumDescriptor) -> list[str]:
    """``KEY_STATE_COOLDOWN`` -> ``cooldown``: the JSON word of each value but the zero
    (``*_UNSPECIFIED``, which the JSON spells by leaving the key out)."""
    prefix = "".join(f"_{c}" if c.isupper() else c.upper() for c in enum.name).lstrip("_") + "_"
    return [v.name.removeprefix(prefix).lower() for v in enum.values if v.number != 0]


def value_range(low: float | None, high: float | None) -> Schema:
    """``minimum`` / ``maximum`` of a validator's (low, high), None meaning unbounded."""
    bounds = (("minimum", low), ("maximum", high))
    return {name: value for name, value in bounds if value is not None}


def _integer(low: int, high: int, fmt: str) -> Schema:
    return {"type": "integer", "format": fmt, "minimum": low, "maximum": high}


_SCALARS: dict[int, Schema] = {
    _F.TYPE_STRING: {"type": "string"},
    _F.TYPE_BOOL: {"type": "boolean"},
    _F.TYPE_DOUBLE: {"type": "number", "format": "double"},
    _F.TYPE_FLOAT: {"type": "number", "format": "float"},
    _F.TYPE_INT32: _integer(-(2**31), 2**31 - 1, "int32"),
    _F.TYPE_SINT32: _integer(-(2**31), 2**31 - 1, "int32"),
    _F.TYPE_INT64: _integer(-(2**63), 2**63 - 1, "int64"),
    _F.TYPE_SINT64: _integer(-(2**63), 2**63 - 1, "int64"),
    _F.TYPE_UINT32: _integer(0, 2**32 - 1, "uint32"),
    _F.TYPE_UINT64: _integer(0, 2**64 - 1, "uint64"),
    _F.TYPE_BYTES: {},  # our bytes fields carry JSON: any value
}


def field_schema(message: Any, name: str) -> Schema:
    """The JSON Schema of one scalar or enum field of ``message``, as its descriptor types
    it (for keys a converter moves elsewhere, e.g. ``latency_p50_ms`` -> ``latency_ms.p50``)."""
    return Shapes()._field(message.DESCRIPTOR.fields_by_name[name])


class Shapes:
    """Turns views into JSON Schema, collecting each named shape once as a component."""

    def __init__(self, defaults: tuple[View, ...] = ()) -> None:
        self.components: dict[str, Schema] = {}
        self._views: dict[str, View] = {}
        # The view of a message wherever a field holds it and no view says otherwise.
        self._defaults = {v.descriptor.full_name: v for v in defaults}

    def ref(self, shape: Any) -> Any:
        """``shape`` with every view in it replaced by a ``$ref`` to its component."""
        if isinstance(shape, View):
            return self._component(shape)
        if isinstance(shape, dict):
            return {k: self.ref(v) for k, v in shape.items()}
        if isinstance(shape, list):
            return [self.ref(v) for v in shape]
        return shape

    def properties(self, view: View) -> tuple[dict[str, Schema], bool]:
        """The JSON keys of ``view`` and their schemas; whether unknown keys pass."""
        props: dict[str, Schema] = {}
        open_ = False
        for f in view.descriptor.fields:
            if (view.only and f.name not in view.only) or f.name in view.omit:
                continue
            if f.name == "extra_json":
                open_ = True
                continue
            if f.name in UNTYPED_INPUT:
                continue
            real_oneof = f.containing_oneof if _in_real_oneof(f) else None
            oneof = real_oneof.name if real_oneof is not None else None
            key = oneof or view.rename.get(f.name) or f.name.removesuffix("_json")
            if key in view.fields:
                props[key] = self.ref(view.fields[key])
            elif oneof:  # one key, whichever member is set
                props[key] = {"anyOf": [*props.get(key, {}).get("anyOf", []), self._field(f)]}
            else:
                props[key] = self._field(f)
        if missing := set(view.fields) - set(props):
            raise ValueError(f"{view.key}: no field {sorted(missing)} to reshape")
        for key, shape in view.add.items():
            props[key] = self.ref(shape)
        for key, extra in view.limits.items():
            props[key] = _narrow(props[key], extra)
        if view.null_is_unset:
            keep = {*(view.required or ()), *view.not_null}
            props = {k: s if k in keep else nullable(s) for k, s in props.items()}
        return props, open_

    def _component(self, view: View) -> Schema:
        name = view.key
        if name in self._views:
            if self._views[name] != view:
                raise ValueError(f"two different shapes named {name}")
        else:
            self._views[name] = view
            self.components[name] = {}  # a placeholder first: shapes may nest themselves
            props, open_ = self.properties(view)
            schema: Schema = {"type": "object", "properties": props}
            required = list(props) if view.required is None else list(view.required)
            if required:
                schema["required"] = required
            if view.closed and not open_:
                schema["additionalProperties"] = False
            self.components[name] = schema
        return {"$ref": f"#/components/schemas/{name}"}

    def _field(self, f: FieldDescriptor) -> Schema:
        inner = f.message_type
        if inner is not None and inner.GetOptions().map_entry:
            value = self._field(inner.fields_by_name["value"])
            return {"type": "object", "additionalProperties": value}
        if inner is not None and len(inner.fields) == 1 and inner.fields[0].is_repeated:
            schema = self._field(inner.fields[0])  # a list wrapped to sit in a oneof
        elif inner is not None:
            schema = self.ref(self._defaults.get(inner.full_name) or View(inner))
        elif f.enum_type is not None:
            schema = {"type": "string", "enum": enum_words(f.enum_type)}
        else:
            schema = dict(_SCALARS[f.type])
        if f.is_repeated:
            return {"type": "array", "items": schema}
        if f.has_presence and inner is None and not _in_real_oneof(f):
            return nullable(schema)
        return schema


def _in_real_oneof(f: FieldDescriptor) -> bool:
    # proto3 `optional` is a synthetic oneof named `_<field>`.
    oneof = f.containing_oneof
    return oneof is not None and oneof.name != f"_{f.name}"


def _narrow(schema: Schema, extra: Schema) -> Schema:
    """``schema`` with more keywords (a range, an enum), inside a nullable's anyOf too; a
    bound narrower than the proto type's replaces it, a wider one does not."""
    if "anyOf" in schema:
        return {"anyOf": [s if s == NULL else _narrow(s, extra) for s in schema["anyOf"]]}
    out = {**schema, **extra}
    if "minimum" in schema and "minimum" in extra:
        out["minimum"] = max(schema["minimum"], extra["minimum"])
    if "maximum" in schema and "maximum" in extra:
        out["maximum"] = min(schema["maximum"], extra["maximum"])
    return out
