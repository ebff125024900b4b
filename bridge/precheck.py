"""Errors the bridge finds itself (a malformed query string of the usage and catalog
routes), answered in the order the core answers everything else. (Chat bodies no longer
come here: the bridge forwards what it cannot type and the core refuses it, after the
credential; see ``bridge/chat.py``.)

The bridge translates HTTP into typed gRPC messages, so some bad requests never reach the
core. Answering them at once would skip two things the core does first: checking the
credential (so a bad token with a bad body would get 400, where the core's order gives
401) and reporting the token's ``X-RateLimit-*`` (api.md: on every authenticated
response). So when the request carries a credential, the bridge asks the core's
``Authenticate`` first (one cheap call, on this error path only) and answers its 401, or
the bridge's own error with the headers the core returned.
"""

from __future__ import annotations

import grpc
from starlette.requests import Request
from starlette.responses import Response

from bridge.responses import call_metadata, error_response
from gate_service.auth.tokens import missing_api_key
from gate_service.errors import GateError
from gate_service.proto_convert.errors import from_rpc_error
from spidergate.v1 import auth_pb2

_TIMEOUT_S = 5.0


async def refuse(request: Request, error: GateError, rid: str, *, public: bool = False) -> Response:
    """The error response for ``error``, found by the bridge, as the core would give it:
    on a route that needs a token (not ``public``), a request without one gets its 401
    ``missing_api_key`` before any 400."""
    if not public and not (request.headers.get("authorization") or "").strip():
        return error_response(missing_api_key(), rid)
    if request.headers.get("authorization") is not None:
        try:
            reply = await request.app.state.core.auth.Authenticate(
                auth_pb2.AuthenticateRequest(),
                metadata=call_metadata(request, rid),
                timeout=_TIMEOUT_S,
            )
        except GateError as exc:  # a header no token can have: the 401 comes first
            return error_response(exc, rid)
        except grpc.aio.AioRpcError as exc:
            return error_response(from_rpc_error(exc), rid)
        error.headers = {**reply.headers, **error.headers}
    return error_response(error, rid)
