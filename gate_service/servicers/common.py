"""What every servicer shares: authentication, scope checks, error mapping, and the
headers every authenticated answer carries.

**Rate-limit headers on every authenticated answer** (api.md): ``authenticate`` notes the
caller's ``X-RateLimit-*`` as they stand (a read of the counters; only chat requests
count against the limits) for the current unary call; a handler puts ``call_headers()``
in its response's ``headers`` field, and ``unary`` adds them to any error the handler
raises after authenticating, so no error path can forget them. The note lives in a
context variable that ``unary`` sets and resets around each call: one call, one value,
whether it runs in the gRPC server's task for it or in the bridge's (in-process).
"""

from __future__ import annotations

import functools
import hmac
import logging
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, TypeVar

import grpc

from gate_service.auth.principal import Principal
from gate_service.deadline import Deadline
from gate_service.errors import GateError
from gate_service.offload import sized
from gate_service.proto_convert.errors import to_status
from gate_service.proto_convert.untyped import parse_json
from gate_service.routing.outcome import RequestContext
from gate_service.telemetry.logs import bind_request

if TYPE_CHECKING:
    from gate_service.core import Core

log = logging.getLogger("spidergate.core")

Req = TypeVar("Req")
Resp = TypeVar("Resp")

_CALL_HEADERS: ContextVar[dict[str, str]] = ContextVar("spidergate_call_headers")
# How long ``authenticate`` took for the current call: the trace's auth span.
_AUTH_MS: ContextVar[float | None] = ContextVar("spidergate_auth_ms", default=None)


def metadata_value(context: grpc.aio.ServicerContext, key: str) -> str | None:
    for k, v in context.invocation_metadata() or ():
        if k == key:
            return v if isinstance(v, str) else v.decode()
    return None


def _metadata_values(context: grpc.aio.ServicerContext, keys: tuple[str, ...]) -> dict[str, str]:
    """The first value of each of ``keys`` present in the call's metadata, in one pass."""
    found: dict[str, str] = {}
    for k, v in context.invocation_metadata() or ():
        if k in keys and k not in found:
            found[k] = v if isinstance(v, str) else v.decode()
    return found


def request_id(context: grpc.aio.ServicerContext) -> str:
    """The bridge's ``x-request-id`` (so logs and the HTTP header agree), or a new one."""
    return metadata_value(context, "x-request-id") or uuid.uuid4().hex


def require_scope(principal: Principal, scope: str) -> None:
    if scope not in principal.scopes:
        raise GateError("insufficient_scope", f"This token lacks the '{scope}' scope needed here.")


async def caller(core: Core, context: grpc.aio.ServicerContext) -> Principal:
    """The caller of this call (401 without a valid credential), timed: the trace's auth
    span (read back by :func:`request_context`)."""
    started = time.perf_counter()
    principal = await core.authenticator.authenticate(metadata_value(context, "authorization"))
    _AUTH_MS.set(round((time.perf_counter() - started) * 1000, 3))
    return principal


async def authenticate(
    core: Core, context: grpc.aio.ServicerContext, scope: str | None = None
) -> Principal:
    """The caller (401 without a valid credential), holding ``scope`` if one is named
    (else 403); notes its rate-limit headers for every answer of this call."""
    principal = await caller(core, context)
    headers = await core.governor.peek(principal)
    if headers:
        _CALL_HEADERS.set(headers)
    if scope is not None:
        require_scope(principal, scope)
    return principal


def is_operator(core: Core, context: grpc.aio.ServicerContext) -> bool:
    """Whether the call carries the operator token (constant-time compare; never while
    the operator token is unset)."""
    expected = core.settings.operator_token
    given = metadata_value(context, "authorization")
    return bool(
        expected
        and given is not None
        and hmac.compare_digest(given.encode(), f"Bearer {expected}".encode())
    )


async def brand_admin(core: Core, context: grpc.aio.ServicerContext, what: str) -> Principal:
    """The caller when it is a brand's client credential: 401 without a valid credential,
    403 for an agent token (``what`` the call does, for the message). Managing a brand's
    keys, tokens, aliases, prompts and invites is its admin's: an agent token could
    otherwise widen its own reach (mint itself an unlimited sibling, route through keys
    it was not given)."""
    principal = await authenticate(core, context)
    if principal.kind != "client_credential":
        raise GateError(
            "permission_denied",
            f"{what} needs the brand's client credential, not an agent token.",
        )
    return principal


async def json_body(core: Core, raw: bytes, convert: Callable[[dict[str, Any]], Req]) -> Req:
    """A JSON body the bridge passed through untyped, parsed as the bridge would (the
    configured depth bound; a large one off the event loop), then converted."""
    settings = core.settings
    limit = settings.json_offload_bytes
    return await sized(len(raw), limit, parse_json, raw, settings.max_json_depth, convert)


def request_context(
    core: Core,
    principal: Principal,
    context: grpc.aio.ServicerContext,
    *,
    include_route_trace: bool = False,
) -> RequestContext:
    """Who asks, the request's id, the token's model controls and the request's overall
    deadline: the configured one, or the gRPC caller's own deadline when that is sooner
    (a caller that stops waiting gets nothing from more). The same for every kind of call."""
    configured = core.settings.request_deadline_s
    remaining = context.time_remaining()
    # One pass over the metadata for the request id and the caller's trace context.
    found = _metadata_values(context, ("x-request-id", "traceparent", "tracestate"))
    rid = found.get("x-request-id") or uuid.uuid4().hex
    traceparent = found.get("traceparent")
    bind_request(rid, traceparent)
    return RequestContext(
        client_id=principal.client_id,
        request_id=rid,
        include_route_trace=include_route_trace,
        allowed_models=principal.controls.allowed_models,
        free_only=principal.controls.free_only,
        deadline=Deadline(configured if remaining is None else min(configured, remaining)),
        auth_ms=_AUTH_MS.get(),
        traceparent=traceparent,
        tracestate=found.get("tracestate") if traceparent else None,
    )


def call_headers() -> dict[str, str]:
    """The headers noted by ``authenticate`` for the current call (empty if none)."""
    return dict(_CALL_HEADERS.get({}))


async def abort(context: grpc.aio.ServicerContext, error: GateError) -> None:
    status = to_status(error)
    await context.abort(status.code, status.details, status.trailing_metadata)


def _internal(exc: BaseException) -> GateError:
    log.error("unhandled error in the core: %s", type(exc).__name__, exc_info=exc)
    return GateError("internal_error", "Internal error in the gateway core.")


def unary(
    fn: Callable[[Any, Req, grpc.aio.ServicerContext], Awaitable[Resp]],
) -> Callable[[Any, Req, grpc.aio.ServicerContext], Awaitable[Resp]]:
    """Map GateError (and anything unexpected) of a unary handler to a rich status."""

    @functools.wraps(fn)
    async def wrapper(self: Any, request: Req, context: grpc.aio.ServicerContext) -> Resp:
        noted = _CALL_HEADERS.set({})
        try:
            return await fn(self, request, context)
        except GateError as exc:
            exc.headers = {**_CALL_HEADERS.get(), **exc.headers}
            await abort(context, exc)
        except Exception as exc:
            await abort(context, _internal(exc))
        finally:
            _CALL_HEADERS.reset(noted)
        raise AssertionError("abort returned")  # pragma: no cover

    return wrapper


def streaming(
    fn: Callable[[Any, Req, grpc.aio.ServicerContext], AsyncIterator[Resp]],
) -> Callable[[Any, Req, grpc.aio.ServicerContext], AsyncIterator[Resp]]:
    """The same for a server-streaming handler."""

    @functools.wraps(fn)
    async def wrapper(
        self: Any, request: Req, context: grpc.aio.ServicerContext
    ) -> AsyncIterator[Resp]:
        try:
            async for item in fn(self, request, context):
                yield item
        except GateError as exc:
            await abort(context, exc)
        except Exception as exc:
            await abort(context, _internal(exc))

    return wrapper
