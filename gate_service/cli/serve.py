"""``spidergate serve``: run the core and the bridge (together, or apart).

- ``serve``: core and bridge in one process (one event loop), bridge on --host/--port,
  gRPC on --grpc-port. ``--demo`` also starts the mock provider (or uses ``--mock-url``),
  points every provider at it, and prints a freshly minted agent token once.
- ``serve core``: only the gRPC core. ``serve bridge --core TARGET``: only the bridge (any
  gRPC target; several cores are balanced by gRPC, see ``bridge/core_client.py``).
- ``--workers N``: N processes of any of these on the same ports, under a supervisor
  (``cli/workers.py``; this module is what each worker runs).

SIGTERM/SIGINT stop gracefully, in two steps (``gate_service/cli/stopping.py``): first
the process says it is not ready (the bridge's ``/ready`` answers 503, the core's gRPC
health NOT_SERVING) and keeps serving for ``drain_delay_s`` while load balancers notice;
then the servers stop accepting, requests and streams in flight get ``shutdown_grace_s``
to finish, and the core ends the rest cleanly (see ``Pipeline.drain``) and stops.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import socket
import sys
from collections.abc import Awaitable, Callable, Iterator
from typing import TYPE_CHECKING, Any

import uvicorn

from gate_service.cli.reuseport import reuse_port_socket
from gate_service.cli.serve_flags import add_serve_flags
from gate_service.cli.stopping import StopSignals, drain_first
from gate_service.config import Settings, comma_list
from gate_service.gc_tuning import settle_after_startup
from gate_service.telemetry.config import TelemetryConfigError, trace_export
from gate_service.telemetry.logs import FORMATS
from gate_service.telemetry.logs import configure as configure_logs

if TYPE_CHECKING:
    from bridge.readiness import Readiness

log = logging.getLogger("spidergate")
# After the shutdown grace the core ends what is still running; the servers wait this much
# longer so the ended requests' last event reaches their clients.
_LAST_WORDS_S = 3.0


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("serve", parents=[common], help="run the gateway")
    add_serve_flags(p)
    p.set_defaults(handler=handle)


def handle(args: argparse.Namespace, settings: Settings) -> int:
    from dataclasses import replace

    overrides = {
        k: v
        for k, v in {
            "host": args.host,
            "port": args.port,
            "grpc_host": args.grpc_host,
            "grpc_port": args.grpc_port,
            "redis_url": args.redis_url,
            "shutdown_grace_s": args.shutdown_grace,
            "drain_delay_s": args.drain_delay,
            "request_deadline_s": args.request_deadline,
            "responses_retention_days": args.responses_retention_days,
            "max_concurrent_requests": args.max_concurrent_requests,
            "max_body_bytes": args.max_body_bytes,
            "max_upload_bytes": args.max_upload_bytes,
            "header_timeout_s": args.header_timeout,
            "media_markup": args.media_markup,
            "public_url": args.public_url,
            "smtp_host": args.smtp_host,
            "smtp_port": args.smtp_port,
            "smtp_from": args.smtp_from,
            "smtp_user": args.smtp_user,
            "smtp_security": args.smtp_security,
            "cors_origins": None if args.cors_origins is None else comma_list(args.cors_origins),
            "log_format": args.log_format,
            "access_log": args.access_log,
        }.items()
        if v is not None
    }
    settings = replace(settings, **overrides)
    if settings.drain_delay_s < 0 or settings.shutdown_grace_s < 0:
        print("--drain-delay and --shutdown-grace take seconds, 0 or more", file=sys.stderr)
        return 2
    if settings.log_format not in FORMATS:
        print(f"SPIDERGATE_LOG_FORMAT must be one of {', '.join(FORMATS)}", file=sys.stderr)
        return 2
    try:
        settings = replace(settings, trace_export=trace_export(os.environ))
    except TelemetryConfigError as exc:
        print(f"OpenTelemetry: {exc}", file=sys.stderr)
        return 2
    configure_logs(settings.log_level, settings.log_format)
    if args.component == "bridge" and not args.core:
        args.core = f"{settings.grpc_host}:{settings.grpc_port}"
    from gate_service.cli.workers import WorkerCountError, supervise, worker_count

    try:
        workers = worker_count(args.workers)
    except WorkerCountError as exc:
        print(f"--workers: {exc}", file=sys.stderr)
        return 2
    if workers > 1:
        return supervise(args, settings, workers)
    serve_forever(args, settings)
    return 0


def serve_forever(args: argparse.Namespace, settings: Settings) -> None:
    """Serve in this process until SIGTERM/SIGINT: ``serve`` itself, or one worker."""
    with contextlib.suppress(ImportError):
        import uvloop

        uvloop.install()
    asyncio.run(_serve(args, settings))


class _Bridge(uvicorn.Server):
    """uvicorn without its own signal handling: ``serve`` owns the signals. ``readiness``
    is its app's (``bridge/readiness.py``), turned to draining at SIGTERM. A worker of
    ``--workers N`` binds its port with ``SO_REUSEPORT`` (the kernel spreads connections
    over the workers, see ``cli/workers.py``)."""

    readiness: Readiness
    reuse_port = False

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield

    async def serve(self, sockets: list[socket.socket] | None = None) -> None:
        if sockets is None and self.reuse_port:
            sockets = [reuse_port_socket(self.config.host, self.config.port)]
        await super().serve(sockets)


def _bridge(core: str | Any, settings: Settings, *, reuse_port: bool = False) -> _Bridge:
    """A bridge for a core address (over gRPC), or for a ``Core`` in this process."""
    from bridge.app import create_app
    from bridge.protocol import with_header_timeout

    if isinstance(core, str):
        app = create_app(core, settings=settings)
    else:
        from gate_service.servicers.inprocess import LocalCoreClient

        app = create_app(client_factory=lambda: LocalCoreClient(core), settings=settings)
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        loop="none",
        # httptools, closing connections that do not finish their headers in time.
        http=with_header_timeout(settings.header_timeout_s),
        lifespan="on",
        log_level="warning",
        access_log=False,
        timeout_graceful_shutdown=int(settings.shutdown_grace_s + _LAST_WORDS_S),
        backlog=4096,
    )
    bridge = _Bridge(config)
    bridge.readiness = app.state.readiness
    bridge.reuse_port = reuse_port
    return bridge


async def _serve(args: argparse.Namespace, settings: Settings) -> None:
    stop = StopSignals()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop)

    if args.component == "bridge":
        settle_after_startup()
        await _serve_bridge(args, settings, stop)
        return

    from gate_service.core import Core
    from gate_service.server import build_server, mark_serving

    core = await Core.open(settings)
    mock = None
    if args.demo:
        mock_url = args.mock_url
        if not mock_url:
            from mock_provider.server import start_mock

            mock = await start_mock()
            mock_url = mock.url
        count = core.add_demo_keys(mock_url)
        _say(f"demo: {count} providers served by the mock provider at {mock_url}")
    server, grpc_port, health = build_server(core, settings.grpc_host, settings.grpc_port)
    await server.start()
    await mark_serving(health, True)
    _say(f"core (gRPC) on {settings.grpc_host}:{grpc_port}")
    metrics_server = None
    if args.metrics_port is not None:
        from gate_service.metrics import MetricsServer

        metrics_server = MetricsServer(core.metrics.registry)
        bound = await metrics_server.start(settings.grpc_host, args.metrics_port)
        _say(f"core metrics on http://{settings.grpc_host}:{bound}/metrics")

    bridge_task: asyncio.Task[None] | None = None
    bridge: _Bridge | None = None
    if args.component == "all":
        # Same process: the in-process channel (see servicers/inprocess.py for why).
        bridge = _bridge(core, settings, reuse_port=_is_worker(args))
        bridge_task = asyncio.create_task(bridge.serve())
        # uvicorn exposes readiness only as a flag; poll it briefly.
        while not bridge.started and not bridge_task.done():  # noqa: ASYNC110
            await asyncio.sleep(0.02)
        if bridge_task.done():
            await bridge_task
            raise SystemExit(f"the bridge could not start on {settings.host}:{settings.port}")
        _say(f"bridge on http://{settings.host}:{settings.port}/api/gate/v1")
    # Everything built at start-up lives for the whole run: out of the collector's sight
    # (gen-2 collections paused requests: a p99 of 41 ms, see README), and young
    # collections less often (gate_service/gc_tuning.py).
    settle_after_startup()
    if args.demo and getattr(args, "print_token", True):  # one worker of N prints it
        token = await asyncio.to_thread(_demo_token, core)
        print("Your demo agent token (shown once):", flush=True)
        print(f"export SPIDERIQ_TOKEN={token}", flush=True)
    _ready(args)

    await _until(stop.first, bridge_task)
    # Not ready first, while everything still serves: balancers move away (stopping.py).
    not_ready: list[Callable[[], Awaitable[None] | None]] = [lambda: mark_serving(health, False)]
    if bridge is not None:
        not_ready.append(bridge.readiness.drain)
    await drain_first(not_ready, settings.drain_delay_s, stop, _say)
    _say("shutting down: finishing requests in flight")
    # The grace period: requests in flight may finish; then the core ends the rest (a
    # stream gets one error event and [DONE], billed and recorded as "shutdown"). The
    # servers' own grace is a little longer, so they see those last words out.
    draining = asyncio.create_task(core.pipeline.drain(settings.shutdown_grace_s))
    stopping: list[Awaitable[None]] = [server.stop(settings.shutdown_grace_s + _LAST_WORDS_S)]
    if bridge is not None and bridge_task is not None:
        bridge.should_exit = True
        stopping.append(bridge_task)
    await asyncio.gather(*stopping)
    ended = await draining
    if ended:
        _say(
            f"ended {ended} requests still running after the {settings.shutdown_grace_s:g} s grace"
        )
    if metrics_server is not None:
        await metrics_server.close()
    if mock is not None:
        await mock.close()
    await core.close()
    _say("stopped")


async def _serve_bridge(args: argparse.Namespace, settings: Settings, stop: StopSignals) -> None:
    """The bridge alone, talking gRPC to one core or, through gRPC's round_robin, to
    every core the target names (``bridge/targets.py``, ``bridge/core_client.py``)."""
    from bridge.targets import core_target

    try:
        # Checked (and an older A,B list resolved) once, here: a bad --core stops the
        # process at start, with its reason.
        target = await asyncio.to_thread(core_target, args.core)
    except ValueError as error:
        raise SystemExit(f"error: --core: {error}") from None
    bridge = _bridge(target, settings, reuse_port=_is_worker(args))
    task = asyncio.create_task(bridge.serve())
    _say(f"bridge on http://{settings.host}:{settings.port}/api/gate/v1 -> core {target}")
    _ready(args)
    await _until(stop.first, task)
    if not task.done():
        await drain_first([bridge.readiness.drain], settings.drain_delay_s, stop, _say)
    bridge.should_exit = True
    await task


async def _until(stop: asyncio.Event, task: asyncio.Task[Any] | None) -> None:
    waiter = asyncio.create_task(stop.wait())
    tasks = {waiter} if task is None else {waiter, task}
    await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    waiter.cancel()


def _demo_token(core: Any) -> str:
    brand = core.identity.brand_by_name("demo")
    client_id = brand.client_id if brand else core.identity.create_brand("demo")[0].client_id
    _, token = core.identity.mint_token(client_id, "demo-agent", None)
    return str(token)


def _is_worker(args: argparse.Namespace) -> bool:
    """Whether this process is one of ``--workers N`` (set by the supervisor)."""
    return getattr(args, "on_ready", None) is not None


def _ready(args: argparse.Namespace) -> None:
    """Tell the supervisor, if any, that this worker serves (it then starts the next)."""
    on_ready = getattr(args, "on_ready", None)
    if on_ready is not None:
        on_ready()


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)
