"""The contract between the dispatcher and a wire format.

The dispatcher (``server.Dispatcher``) does the work every format shares:
resolve the endpoint, parse the JSON body once, record the request, reject
missing credentials and apply the scripted faults that act before a handler
runs.  A format only says how *it* reads the key, the model and the path
prefix, how its errors look, and how its endpoints answer (passing its answer
through :mod:`mock_provider.formats.answer` so the stream faults can act on it).
Adding a format means subclassing :class:`WireFormat` and adding the instance
to ``formats.SPOKEN`` (the gateway's adapter registry decides that it is spoken).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from aiohttp import web

from mock_provider.state import FaultRule, MockState

__all__ = ["Call", "Endpoint", "Handler", "WireFormat"]


@dataclass(slots=True)
class Call:
    """One request handed to an endpoint handler, already parsed and recorded."""

    request: web.Request
    body: Any
    """Parsed JSON body, ``None`` when absent or invalid (see ``invalid_json``)."""
    invalid_json: bool
    model: str | None
    key: str | None
    prefix: str
    state: MockState
    fault: FaultRule | None = None
    """The matched fault the handler must act on (stream kinds, ``headers``...), if any."""


Handler = Callable[[Call], Awaitable[web.StreamResponse]]


@dataclass(frozen=True, slots=True)
class Endpoint:
    """``method`` requests whose path ends with ``suffix`` go to ``handler``.

    Matching by suffix is what lets one server impersonate many providers:
    ``/v1/chat/completions``, ``/groq/openai/v1/chat/completions`` and
    ``/openrouter/api/v1/chat/completions`` all reach the same handler, and the
    part before the suffix is recorded as the request's ``prefix``.
    """

    name: str
    method: str
    suffix: str
    handler: Handler
    format: WireFormat
    accept: Callable[[web.Request], bool] | None = None
    """Extra test for formats whose paths collide (e.g. two ``GET .../models``)."""

    def matches(self, request: web.Request, method: str, path: str) -> bool:
        return (
            method == self.method
            and path.endswith(self.suffix)
            and (self.accept is None or self.accept(request))
        )


class WireFormat:
    """Base class of a provider wire format; see the module docstring."""

    name: ClassVar[str] = "base"

    def endpoints(self) -> list[Endpoint]:
        raise NotImplementedError

    def api_key(self, request: web.Request) -> str | None:
        """The credential the request carries, ``None`` if it carries none."""
        raise NotImplementedError

    def model_of(self, request: web.Request, body: Any) -> str | None:
        """The requested model (used for recording and fault matching)."""
        model = body.get("model") if isinstance(body, dict) else None
        return model if isinstance(model, str) else None

    def prefix_of(self, endpoint: Endpoint, path: str) -> str:
        """The part of ``path`` before the endpoint proper: identifies the provider."""
        return path[: len(path) - len(endpoint.suffix)]

    def error(
        self,
        status: int,
        message: str | None = None,
        *,
        error_type: str | None = None,
        code: str | None = None,
        param: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> web.Response:
        """An error response in this format's shape; ``None`` means the usual text."""
        raise NotImplementedError

    def unauthorized(self) -> web.Response:
        return self.error(401)

    def not_found(self, method: str, path: str) -> web.Response:
        return self.error(404, f"Invalid URL ({method} {path})")

    def fault_response(self, rule: FaultRule) -> web.Response:
        """What an ``error`` fault rule answers."""
        return self.error(
            rule.status,
            rule.message,
            error_type=rule.error_type,
            code=rule.code,
            headers=rule.headers,
        )
