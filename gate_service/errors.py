"""The error catalogue: one stable reason code, mapped once to HTTP and to gRPC.

The reason code (``model_not_found``, ``budget_exceeded``...) is the truth clients branch
on; the gRPC status code is only the nearest transport equivalent (gRPC cannot tell 402
from 429), so every gRPC error also carries an ``ErrorDetail`` with the code, the HTTP
status and the body, which the bridge reads back. A test checks that every reason has both
mappings.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import grpc


@dataclass(frozen=True, slots=True)
class Reason:
    """How one reason code appears on each transport."""

    http_status: int
    type: str
    grpc_code: grpc.StatusCode


_INVALID = "invalid_request_error"
_AUTH = "authentication_error"
_PERM = "permission_error"
_API = "api_error"

CATALOGUE: dict[str, Reason] = {
    "invalid_request": Reason(400, _INVALID, grpc.StatusCode.INVALID_ARGUMENT),
    "missing_api_key": Reason(401, _AUTH, grpc.StatusCode.UNAUTHENTICATED),
    "invalid_token_format": Reason(401, _AUTH, grpc.StatusCode.UNAUTHENTICATED),
    "invalid_api_key": Reason(401, _AUTH, grpc.StatusCode.UNAUTHENTICATED),
    "budget_exceeded": Reason(402, "insufficient_quota", grpc.StatusCode.RESOURCE_EXHAUSTED),
    "model_not_allowed": Reason(403, _PERM, grpc.StatusCode.PERMISSION_DENIED),
    "insufficient_scope": Reason(403, _PERM, grpc.StatusCode.PERMISSION_DENIED),
    "permission_denied": Reason(403, _PERM, grpc.StatusCode.PERMISSION_DENIED),
    "model_not_found": Reason(404, "not_found_error", grpc.StatusCode.NOT_FOUND),
    "not_found": Reason(404, "not_found_error", grpc.StatusCode.NOT_FOUND),
    # An invite link used already, withdrawn or past its validity (docs/invites.md).
    "invite_gone": Reason(410, _INVALID, grpc.StatusCode.FAILED_PRECONDITION),
    "no_qualifying_model": Reason(422, _INVALID, grpc.StatusCode.FAILED_PRECONDITION),
    # A proposed alias chain names slots that can never serve the alias (a model that
    # cannot call tools in a tool alias...): the body adds ``rejected_slots``.
    "chain_rejected": Reason(422, _INVALID, grpc.StatusCode.FAILED_PRECONDITION),
    # A client alias's slot names a key the brand may not use (a pool key, another
    # brand's, an unknown one), a provider that is not the key's, or an unknown model.
    "invalid_alias_slot": Reason(422, _INVALID, grpc.StatusCode.FAILED_PRECONDITION),
    # A client alias of that name already exists in the brand.
    "alias_exists": Reason(409, _INVALID, grpc.StatusCode.ALREADY_EXISTS),
    "request_too_large": Reason(413, _INVALID, grpc.StatusCode.INVALID_ARGUMENT),
    "rate_limit_exceeded": Reason(429, "rate_limit_error", grpc.StatusCode.RESOURCE_EXHAUSTED),
    "daily_rate_limit_exceeded": Reason(
        429, "rate_limit_error", grpc.StatusCode.RESOURCE_EXHAUSTED
    ),
    "upstream_error": Reason(502, _API, grpc.StatusCode.UNAVAILABLE),
    "all_providers_failed": Reason(502, _API, grpc.StatusCode.UNAVAILABLE),
    "service_unavailable": Reason(503, _API, grpc.StatusCode.UNAVAILABLE),
    # Nothing can serve a media call (images, speech, transcription, moderation) for lack
    # of a key of a provider that serves it: no_<provider>_key (media.md).
    "no_openai_key": Reason(503, _API, grpc.StatusCode.UNAVAILABLE),
    "no_groq_key": Reason(503, _API, grpc.StatusCode.UNAVAILABLE),
    # The process is at its bound on concurrent requests: refused before any work.
    "overloaded": Reason(503, _API, grpc.StatusCode.UNAVAILABLE),
    # Every attempt timed out, or the request's overall deadline passed.
    "upstream_timeout": Reason(504, _API, grpc.StatusCode.DEADLINE_EXCEEDED),
    "internal_error": Reason(500, _API, grpc.StatusCode.INTERNAL),
}

_AUTH_HEADERS = {"WWW-Authenticate": "Bearer"}


@dataclass(slots=True)
class GateError(Exception):
    """A failure with a reason code from the catalogue; raised anywhere, mapped at the edge."""

    code: str
    message: str
    param: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    # Extra top-level body fields, e.g. {"spidergate_error": {...}}.
    body: dict[str, Any] = field(default_factory=dict)
    # Overrides the catalogue's HTTP status where a code has two (502 vs 503).
    status: int | None = None

    def __post_init__(self) -> None:
        if self.code not in CATALOGUE:
            raise ValueError(f"unknown error code {self.code!r}")
        if self.reason.http_status == 401:
            self.headers = {**_AUTH_HEADERS, **self.headers}

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"

    @property
    def reason(self) -> Reason:
        return CATALOGUE[self.code]

    @property
    def http_status(self) -> int:
        return self.status or self.reason.http_status

    def envelope(self) -> dict[str, Any]:
        """The documented JSON body: ``{"error": {type, code, message, param}, ...extra}``."""
        return {
            "error": {
                "type": self.reason.type,
                "code": self.code,
                "message": self.message,
                "param": self.param,
            },
            **self.body,
        }


def invalid(message: str, param: str | None = None) -> GateError:
    """Shorthand for the most common error: a 400 ``invalid_request`` naming the param."""
    return GateError("invalid_request", message, param=param)
