"""What a saved prompt may hold, checked once when it is written (create, update, the
CLI alike), each fault a 400 naming the field. A prompt that was stored is therefore one
a request can apply without checking it again.

The sampling bounds are chat's own (``chat/validation.py``): a stored ``temperature`` of
3 would otherwise be refused by every request that used it, long after it was saved.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from gate_service.chat.validation import _RANGES as CHAT_RANGES
from gate_service.chat.validation import check_range
from gate_service.errors import invalid
from gate_service.prompts.records import DEFAULT_PROJECT, PromptSettings
from gate_service.storage.text import check_storable

NAME_RE = re.compile(r"[A-Za-z0-9_.-]{1,64}")
PROJECT_RE = NAME_RE
VARIABLE_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")
# {{name}}, spaces inside the braces allowed: what a request's variables fill in.
PLACEHOLDER_RE = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]{0,63})\s*\}\}")
MAX_DESCRIPTION = 1000
MAX_SYSTEM_PROMPT = 100_000
MAX_MODEL = 200
MAX_VARIABLES = 64
MAX_STOP = 4
MAX_STOP_CHARS = 200
# Every control character but tab, newline and carriage return (a prompt is text with
# lines), and lone surrogates: what PostgreSQL (NUL) or the encoder would refuse.
_UNSTORABLE_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
_INT64 = 2**63


def clean_name(value: str, param: str = "name") -> str:
    if not NAME_RE.fullmatch(value):
        raise invalid(f"'{param}' must be 1-64 characters of letters, digits, '_', '.', '-'", param)
    return value


def clean_project(value: str | None) -> str:
    """The project id, "default" when none is given."""
    if not value:
        return DEFAULT_PROJECT
    if not PROJECT_RE.fullmatch(value):
        raise invalid(
            "'project_id' must be 1-64 characters of letters, digits, '_', '.', '-'", "project_id"
        )
    return value


def clean_description(value: str) -> str:
    if len(value) > MAX_DESCRIPTION:
        raise invalid(f"'description' is longer than {MAX_DESCRIPTION} characters", "description")
    return check_storable(value, "description")


def clean_system_prompt(value: str) -> str:
    if len(value) > MAX_SYSTEM_PROMPT:
        raise invalid(
            f"'system_prompt' is longer than {MAX_SYSTEM_PROMPT} characters", "system_prompt"
        )
    if _UNSTORABLE_TEXT.search(value):
        raise invalid(
            "'system_prompt' must not contain control characters other than tab and newline",
            "system_prompt",
        )
    return value


def clean_model(value: str) -> str:
    if len(value) > MAX_MODEL:
        raise invalid(f"'model' is longer than {MAX_MODEL} characters", "model")
    return check_storable(value.strip(), "model")


def check_settings(settings: PromptSettings) -> PromptSettings:
    """The settings unchanged, or a 400 naming ``settings.<key>`` out of chat's range."""
    for key in ("temperature", "top_p", "max_tokens", "presence_penalty", "frequency_penalty"):
        value = getattr(settings, key)
        if value is not None:
            low, high = CHAT_RANGES[key]
            check_range(value, low, high, f"settings.{key}")
    if len(settings.stop) > MAX_STOP:
        raise invalid(f"'settings.stop' takes at most {MAX_STOP} sequences", "settings.stop")
    for i, stop in enumerate(settings.stop):
        param = f"settings.stop[{i}]"
        if not stop or len(stop) > MAX_STOP_CHARS:
            raise invalid(f"'{param}' must be 1-{MAX_STOP_CHARS} characters", param)
        if _UNSTORABLE_TEXT.search(stop):
            raise invalid(f"'{param}' must not contain control characters", param)
    if settings.seed is not None and not -_INT64 <= settings.seed < _INT64:
        raise invalid("'settings.seed' is out of range", "settings.seed")
    return settings


def placeholders(text: str) -> tuple[str, ...]:
    """The variable names ``{{name}}`` in ``text``, each once, in order of appearance."""
    return tuple(dict.fromkeys(PLACEHOLDER_RE.findall(text)))


def check_variables(declared: Iterable[str] | None, system_prompt: str) -> tuple[str, ...]:
    """The declared variables (None: the placeholders of the system prompt), each a
    valid name, and covering every placeholder (a typo in a placeholder is found when
    the prompt is saved, not by every request)."""
    found = placeholders(system_prompt)
    if declared is None:
        names = found
    else:
        names = tuple(dict.fromkeys(declared))
        for i, name in enumerate(names):
            if not VARIABLE_RE.fullmatch(name):
                param = f"variables[{i}]"
                raise invalid(
                    f"'{param}' must be a name of letters, digits and '_' (1-64 characters)",
                    param,
                )
        for name in found:
            if name not in names:
                raise invalid(
                    f"the system prompt uses '{{{{{name}}}}}' but 'variables' does not declare "
                    f"'{name}'",
                    "variables",
                )
    if len(names) > MAX_VARIABLES:
        raise invalid(f"a prompt takes at most {MAX_VARIABLES} variables", "variables")
    return names
