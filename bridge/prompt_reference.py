"""The request keys that name a saved prompt, as the OpenAPI document shows them on the
three surfaces that apply one (chat completions, the Responses API, the Messages API).
The core reads them (``gate_service/prompts/apply.py``); here they are only described."""

from __future__ import annotations

from bridge.proto_schema import Schema

_ID = "prompt:<id> (any project of the brand) or prompt.<name> (needs project_id)"
PROMPT_REFERENCE: dict[str, Schema] = {
    "prompt": {
        "description": "A saved prompt to apply: its stored system prompt is prepended "
        "unless the request has a system message of its own; its model applies when "
        "`model` is empty; its settings fill the sampling keys left unset. "
        f"A string, {_ID}, or an object {{id, version, variables}}.",
        "anyOf": [
            {"type": "null"},
            {"type": "string", "examples": ["prompt:prm_0123456789abcdef01234567"]},
            {
                "type": "object",
                "properties": {
                    "id": {"type": "string"},
                    "version": {"anyOf": [{"type": "string"}, {"type": "integer"}]},
                    "variables": {"type": "object"},
                },
                "required": ["id"],
            },
        ],
    },
    "prompt_variables": {
        "type": ["object", "null"],
        "description": "The values of the saved prompt's {{variables}} (each one required)",
    },
    "project_id": {
        "type": ["string", "null"],
        "description": "The project a `prompt.<name>` reference is looked up in",
    },
}
