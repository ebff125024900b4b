"""``params`` of ``POST /media/generations`` checked against a media model's ``inputs``
schema: a wrong type, a value out of range or a missing required parameter is a 400
naming it (``params.<name>``); a parameter the model does not declare is dropped (and
named, so the answer can say so)."""

from __future__ import annotations

import math
from typing import Any

from gate_service.errors import invalid
from gate_service.media.catalog import InputSpec, MediaModel


def check_params(model: MediaModel, params: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """(the declared parameters, checked; the names dropped)."""
    kept: dict[str, Any] = {}
    dropped = sorted(k for k in params if k not in model.inputs)
    for name, spec in model.inputs.items():
        value = params.get(name)
        if value is None:
            if spec.required:
                raise invalid(f"'params.{name}' is required", f"params.{name}")
            continue
        kept[name] = _check(f"params.{name}", spec, value)
    return kept, dropped


def _check(param: str, spec: InputSpec, value: Any) -> Any:
    if spec.type == "bool":
        if not isinstance(value, bool):
            raise invalid(f"'{param}' must be a boolean", param)
        return value
    if spec.type in ("string", "enum"):
        if not isinstance(value, str):
            raise invalid(f"'{param}' must be a string", param)
        if spec.type == "enum" and value not in spec.enum:
            raise invalid(f"'{param}' must be one of {', '.join(spec.enum)}", param)
        if spec.max_length is not None and len(value) > spec.max_length:
            raise invalid(f"'{param}' is longer than {spec.max_length} characters", param)
        return value
    number = _number(param, spec.type, value)
    if spec.min is not None and number < spec.min:
        raise invalid(f"'{param}' must be at least {spec.min:g}", param)
    if spec.max is not None and number > spec.max:
        raise invalid(f"'{param}' must be at most {spec.max:g}", param)
    return number


def _number(param: str, kind: str, value: Any) -> float | int:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise invalid(f"'{param}' must be a number", param)
    if kind == "int":
        if isinstance(value, float) and not value.is_integer():
            raise invalid(f"'{param}' must be an integer", param)
        return int(value)
    if not math.isfinite(value):
        raise invalid(f"'{param}' must be a finite number", param)
    return float(value)
