"""The typed values of saved prompts: what is stored, what a change asks for, what a
listing asks for. Plain frozen dataclasses; JSON and proto conversions live in
``proto_convert/prompts.py``, the database rows in ``store.py``."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any

DEFAULT_PROJECT = "default"
DEFAULT_LIMIT = 50
MAX_LIMIT = 200


@dataclass(frozen=True, slots=True)
class PromptSettings:
    """Sampling settings a prompt fills in where the request left them unset; None (and
    no ``stop``) means the prompt says nothing about that key."""

    temperature: float | None = None
    top_p: float | None = None
    max_tokens: int | None = None
    presence_penalty: float | None = None
    frequency_penalty: float | None = None
    stop: tuple[str, ...] = ()
    seed: int | None = None

    def to_json(self) -> dict[str, Any]:
        """The keys set, as stored (``saved_prompt.settings``)."""
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value is not None and value != ():
                out[f.name] = list(value) if f.name == "stop" else value
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PromptSettings:
        """The stored JSON back (written by :meth:`to_json`, so trusted)."""
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        if "stop" in values:
            values["stop"] = tuple(values["stop"])
        return cls(**values)


@dataclass(frozen=True, slots=True)
class PromptView:
    """One version of a saved prompt, as read (the current one unless asked otherwise)."""

    id: str
    client_id: str
    project_id: str
    name: str
    description: str
    system_prompt: str
    model: str  # "": the request's model
    settings: PromptSettings
    variables: tuple[str, ...]
    version: int
    created_at: datetime
    updated_at: datetime
    last_used_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class NewPrompt:
    """A prompt to create; ``variables`` None: the system prompt's placeholders."""

    name: str
    project_id: str = DEFAULT_PROJECT
    description: str = ""
    system_prompt: str = ""
    model: str = ""
    settings: PromptSettings = field(default_factory=PromptSettings)
    variables: tuple[str, ...] | None = None


@dataclass(frozen=True, slots=True)
class PromptPatch:
    """The fields to change (None: unchanged). ``settings`` replaces the settings whole;
    ``variables`` replaces the declared names (an empty tuple: the placeholders)."""

    name: str | None = None
    description: str | None = None
    system_prompt: str | None = None
    model: str | None = None
    settings: PromptSettings | None = None
    variables: tuple[str, ...] | None = None

    @property
    def empty(self) -> bool:
        return all(getattr(self, f.name) is None for f in fields(self))


@dataclass(frozen=True, slots=True)
class PromptQuery:
    """A page of the brand's prompts: in one project (None: all), containing ``text``
    (None: no search)."""

    limit: int = DEFAULT_LIMIT
    offset: int = 0
    project_id: str | None = None
    text: str | None = None


@dataclass(frozen=True, slots=True)
class PromptPage:
    prompts: list[PromptView]
    has_more: bool
