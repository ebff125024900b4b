"""App factory, request dispatch and the in-process server handle.

One catch-all route feeds every provider request to :class:`Dispatcher`, which
does the work shared by all formats in a fixed order:

1. find the endpoint whose method and path suffix match (any prefix allowed);
2. parse the JSON body once (a multipart upload: its text fields, the file left for
   the handler to read as it streams in);
3. record the request in :class:`MockState` (even if it is then rejected);
4. reject a missing credential with the format's 401;
5. take the first matching scripted fault and let it act if it can do so
   before the format answers (``delay_ms``, ``error``, ``reset``);
6. hand over to the endpoint's handler, which carries the fault for the kinds
   that shape the answer itself (stream kinds, ``headers``).

Formats are told apart by path suffix: ``.../chat/completions`` is OpenAI,
``.../messages`` Anthropic, ``.../models/{model}:generateContent`` and
``:streamGenerateContent`` Gemini; whatever precedes is the provider prefix.

The path is lean on purpose: the gateway benchmark drives this server at
thousands of requests per second on one core.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import orjson
from aiohttp import web

from gate_service.providers.registry import WIRE_FORMATS
from mock_provider.admin import add_admin_routes
from mock_provider.formats import SPOKEN
from mock_provider.formats.answer import before_handler
from mock_provider.formats.base import Call, Endpoint, WireFormat
from mock_provider.formats.form import is_form, read_fields
from mock_provider.state import MockState

__all__ = [
    "FORMATS",
    "STATE_KEY",
    "Dispatcher",
    "MockServer",
    "create_app",
    "formats_for",
    "start_mock",
]


def formats_for(names: tuple[str, ...]) -> tuple[WireFormat, ...]:
    """The mock's format of each name, in order; a name it cannot speak is an error here
    rather than a gateway test that silently never reaches its format."""
    missing = [name for name in names if name not in SPOKEN]
    if missing:
        raise LookupError(f"the mock provider speaks no {missing} wire format")
    return tuple(SPOKEN[name] for name in names)


FORMATS: tuple[WireFormat, ...] = formats_for(WIRE_FORMATS)
"""The wire formats the server speaks: every one of the gateway's adapter registry, whose
order (OpenAI-compatible first, the answer to an unknown path) is the order endpoints are
tried in."""
STATE_KEY = web.AppKey("mock_state", MockState)
CLIENT_MAX_SIZE = 64 * 1024 * 1024
"""Long-context requests are large; aiohttp's 1 MiB default would reject them."""
SHUTDOWN_TIMEOUT = 1.0


class Dispatcher:
    """Routes provider requests to format endpoints; see the module docstring."""

    def __init__(self, state: MockState, formats: tuple[WireFormat, ...] = FORMATS) -> None:
        self.state = state
        self.endpoints: list[Endpoint] = [ep for fmt in formats for ep in fmt.endpoints()]
        self.fallback = formats[0]

    def resolve(self, request: web.Request) -> Endpoint | None:
        method = request.method
        path = request.path
        for endpoint in self.endpoints:
            if endpoint.matches(request, method, path):
                return endpoint
        return None

    async def handle(self, request: web.Request) -> web.StreamResponse:
        state = self.state
        method = request.method
        path = request.path
        endpoint = self.resolve(request)

        body = None
        invalid_json = False
        if request.can_read_body and is_form(request):
            # An upload: its text fields (the model among them), the file left unread.
            body = await read_fields(request)
        elif request.can_read_body:
            raw = await request.read()
            if raw:
                try:
                    body = orjson.loads(raw)
                except orjson.JSONDecodeError:
                    invalid_json = True

        headers = request.headers
        if endpoint is None:
            key = model = None
            prefix, name = path, "unknown"
        else:
            fmt = endpoint.format
            key = fmt.api_key(request)
            model = fmt.model_of(request, body)
            prefix, name = fmt.prefix_of(endpoint, path), endpoint.name
        state.record(
            method=method,
            path=path,
            prefix=prefix,
            endpoint=name,
            model=model,
            key=key,
            authorization=headers.get("Authorization"),
            x_api_key=headers.get("x-api-key"),
            headers={k.lower(): v for k, v in headers.items()},
            body=body,
        )
        if endpoint is None:
            return self.fallback.not_found(method, path)
        fmt = endpoint.format
        if key is None:
            return fmt.unauthorized()

        fault = None
        if state.faults:
            fault = state.take_fault(model=model, key=key, path=path, fmt=fmt.name, body=body)
            if fault is not None:
                early = await before_handler(fault, request, fmt)
                if early is not None:
                    return early
        call = Call(request, body, invalid_json, model, key, prefix, state, fault)
        return await endpoint.handler(call)


def create_app(state: MockState | None = None) -> web.Application:
    """The mock's aiohttp application; pass ``state`` to share it with a test."""
    state = state if state is not None else MockState()
    app = web.Application(client_max_size=CLIENT_MAX_SIZE)
    app[STATE_KEY] = state
    add_admin_routes(app.router, state)
    app.router.add_route("*", "/{tail:.*}", Dispatcher(state).handle)
    return app


@dataclass(slots=True)
class MockServer:
    """A running mock; ``url`` has no trailing slash (append ``/v1`` for SDKs)."""

    host: str
    port: int
    state: MockState
    runner: web.AppRunner = field(repr=False)

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    async def close(self) -> None:
        await self.runner.cleanup()

    async def __aenter__(self) -> MockServer:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()


async def start_mock(
    host: str = "127.0.0.1", port: int = 0, state: MockState | None = None
) -> MockServer:
    """Serve the mock on ``host:port`` in the running loop; port 0 picks a free port."""
    state = state if state is not None else MockState()
    runner = web.AppRunner(
        create_app(state),
        access_log=None,
        handle_signals=False,
        shutdown_timeout=SHUTDOWN_TIMEOUT,
    )
    await runner.setup()
    site = web.TCPSite(runner, host, port, backlog=1024)
    try:
        await site.start()
    except BaseException:
        await runner.cleanup()
        raise
    bound_port = runner.addresses[0][1]
    return MockServer(host=host, port=bound_port, state=state, runner=runner)
