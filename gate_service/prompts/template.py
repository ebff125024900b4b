"""``{{name}}`` substitution in a stored system prompt, from a request's variables.

Only declared variables are filled in (a declared name's every placeholder); a declared
variable the request does not give is a 400 naming it, and so is a variable the prompt
does not declare (a misspelt name would otherwise silently leave the placeholder in).
Values are strings; numbers and booleans are written as JSON writes them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gate_service.errors import invalid
from gate_service.prompts.validation import PLACEHOLDER_RE

VARIABLES_PARAM = "prompt_variables"


def variable_text(value: Any, param: str) -> str:
    """A variable's value as text: a string, a number or a boolean, or an ``input_text``
    object (the Responses API's ``prompt.variables`` may hold one)."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, dict) and value.get("type") == "input_text":
        text = value.get("text")
        if isinstance(text, str):
            return text
    raise invalid(f"'{param}' must be a string, a number or a boolean", param)


def render(
    system_prompt: str,
    declared: tuple[str, ...],
    values: Mapping[str, Any],
    param: str = VARIABLES_PARAM,
) -> str:
    """The system prompt with each declared ``{{name}}`` replaced by its value."""
    for name in values:
        if name not in declared:
            known = ", ".join(declared) or "none"
            raise invalid(
                f"'{name}' is not a variable of this prompt (it takes: {known})",
                f"{param}.{name}",
            )
    texts: dict[str, str] = {}
    for name in declared:
        if name not in values:
            raise invalid(f"the prompt needs the variable '{name}'", f"{param}.{name}")
        texts[name] = variable_text(values[name], f"{param}.{name}")
    if not texts:
        return system_prompt

    def fill(match: Any) -> str:
        name = match.group(1)
        return texts.get(name, match.group(0))

    return PLACEHOLDER_RE.sub(fill, system_prompt)
