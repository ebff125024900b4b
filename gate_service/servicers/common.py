"""What every servicer shares: metadata reads, scope checks and error mapping."""

from __future__ import annotations

import functools
import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, TypeVar

import grpc

from gate_service.auth.principal import Principal
from gate_service.errors import GateError
from gate_service.proto_convert.errors import to_status

log = logging.getLogger("spidergate.core")

Req = TypeVar("Req")
Resp = TypeVar("Resp")


def metadata_value(context: grpc.aio.ServicerContext, key: str) -> str | None:
    for k, v in context.invocation_metadata() or ():
        if k == key:
            return v if isinstance(v, str) else v.decode()
    return None


def request_id(context: grpc.aio.ServicerContext) -> str:
    """The bridge's ``x-request-id`` (so logs and the HTTP header agree), or a new one."""
    return metadata_value(context, "x-request-id") or uuid.uuid4().hex


def require_scope(principal: Principal, scope: str) -> None:
    if scope not in principal.scopes:
        raise GateError("insufficient_scope", f"This token lacks the '{scope}' scope needed here.")


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
        try:
            return await fn(self, request, context)
        except GateError as exc:
            await abort(context, exc)
        except Exception as exc:
            await abort(context, _internal(exc))
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
