"""A saved prompt applied to a chat request: which prompt a request names, and what of
it the request keeps. Pure: the service resolves the reference and calls :func:`apply`.

**The reference** rides among the request's unknown keys (``ChatRequest.extra``), the same
for the three surfaces that name one (chat, the Responses API, the Messages API; legacy
``/completions`` has a ``prompt`` of its own and is left alone):

- ``prompt: "prompt:<id>"``: the brand's prompt of that id, in whichever project;
- ``prompt: "prompt.<name>"`` with ``project_id``: the prompt of that name in that project;
  without ``project_id`` the reference is ignored (the spec's rule);
- ``prompt: {id, version, variables}``: the Responses API's own shape (``id`` as above,
  or a bare ``prm_...``), accepted on every surface;
- ``prompt_variables: {name: value}``: the ``{{name}}`` values (beside the object's
  ``variables``, which they override).

The three keys are removed from the request, referenced or not, so they never reach a
provider that would not know them.

**Precedence** (the request wins): the stored system prompt, its variables filled in, is
prepended, unless the request has a system or developer message of its own (Messages:
``system``; Responses: ``instructions`` or a system/developer input item): then the
request's replaces it, and its variables are not asked for. The stored model applies when
the request's ``model`` is absent or empty (the SDKs require the argument: send ``""``);
any other model wins. Each stored sampling setting fills its key only where the request
left it unset (``max_tokens`` counts as set when either ``max_tokens`` or
``max_completion_tokens`` is).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from gate_service.domain import ChatRequest, Message
from gate_service.errors import invalid
from gate_service.prompts.records import PromptView
from gate_service.prompts.template import VARIABLES_PARAM, render
from gate_service.prompts.validation import clean_name, clean_project

PROMPT_KEYS = frozenset({"prompt", "prompt_variables", "project_id"})
# The request kinds a reference applies to (``completion``'s ``prompt`` is its text).
PROMPT_KINDS = frozenset({"chat", "message", "response"})
_BY_ID = "prompt:"
_BY_NAME = "prompt."
_SYSTEM_ROLES = frozenset({"system", "developer"})


@dataclass(frozen=True, slots=True)
class Reference:
    """A prompt a request names: by id (across the brand) or by name in a project."""

    prompt_id: str | None = None
    name: str | None = None
    project_id: str | None = None
    version: int | None = None
    variables: dict[str, Any] = field(default_factory=dict)


def names_prompt(request: ChatRequest) -> bool:
    """Whether the request carries any of the prompt keys (cheap: every request asks)."""
    extra = request.extra
    return bool(extra) and request.kind in PROMPT_KINDS and not PROMPT_KEYS.isdisjoint(extra)


def take_reference(request: ChatRequest) -> Reference | None:
    """The reference of a request (None: none, or a name without ``project_id``), with
    the prompt keys removed from its extras; a 400 naming the key for a malformed one."""
    extra = request.extra
    raw = extra.pop("prompt", None)
    raw_variables = extra.pop("prompt_variables", None)
    raw_project = extra.pop("project_id", None)
    if raw_variables is not None and not isinstance(raw_variables, dict):
        raise invalid(f"'{VARIABLES_PARAM}' must be an object", VARIABLES_PARAM)
    if raw_project is not None and not isinstance(raw_project, str):
        raise invalid("'project_id' must be a string", "project_id")
    if raw is None:
        return None
    variables: dict[str, Any] = {}
    version: int | None = None
    if isinstance(raw, dict):
        target = raw.get("id")
        if not isinstance(target, str) or not target:
            raise invalid("'prompt.id' must be a prompt id", "prompt.id")
        version = _version(raw.get("version"))
        if (own := raw.get("variables")) is not None:
            if not isinstance(own, dict):
                raise invalid("'prompt.variables' must be an object", "prompt.variables")
            variables.update(own)
    elif isinstance(raw, str):
        target = raw
    else:
        raise invalid(
            '\'prompt\' must be "prompt:<id>", "prompt.<name>" or {id, version, variables}',
            "prompt",
        )
    if raw_variables is not None:
        variables.update(raw_variables)
    if target.startswith(_BY_NAME):
        if not raw_project:
            return None  # the spec: a name without its project is ignored
        name = clean_name(target[len(_BY_NAME) :], "prompt")
        return Reference(
            name=name, project_id=clean_project(raw_project), version=version, variables=variables
        )
    prompt_id = target[len(_BY_ID) :] if target.startswith(_BY_ID) else target
    if not prompt_id.startswith("prm_") or not prompt_id[4:].isalnum():
        raise invalid(
            '\'prompt\' must be "prompt:<id>" (an id like prm_...) or "prompt.<name>"', "prompt"
        )
    return Reference(prompt_id=prompt_id, version=version, variables=variables)


def _version(value: Any) -> int | None:
    """The Responses API sends ``version`` as a string; a number is accepted too."""
    if value is None:
        return None
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise invalid("'prompt.version' must be a positive version number", "prompt.version")
    return value


def apply(request: ChatRequest, prompt: PromptView, variables: dict[str, Any]) -> None:
    """Apply ``prompt`` to ``request`` in place, the request's own values winning."""
    if prompt.system_prompt and not any(m.role in _SYSTEM_ROLES for m in request.messages):
        text = render(prompt.system_prompt, prompt.variables, variables)
        request.messages.insert(0, Message(role="system", content=text))
    if not request.model and prompt.model:
        request.model = prompt.model
    s = prompt.settings
    if request.temperature is None:
        request.temperature = s.temperature
    if request.top_p is None:
        request.top_p = s.top_p
    if request.max_tokens is None and request.max_completion_tokens is None:
        request.max_tokens = s.max_tokens
    if request.presence_penalty is None:
        request.presence_penalty = s.presence_penalty
    if request.frequency_penalty is None:
        request.frequency_penalty = s.frequency_penalty
    if not request.stop:
        request.stop = list(s.stop)
    if request.seed is None:
        request.seed = s.seed
