"""A whole gateway for tests: mock provider, gRPC core and HTTP bridge on real sockets.

It runs in a background thread with its own event loop, so tests can drive it with sync
clients (the official ``openai`` SDK, curl, Node) as a user would.
"""

from __future__ import annotations

import asyncio
import os
import random
import socket
import threading
from collections.abc import Coroutine
from concurrent.futures import Future
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TypeVar

from gate_service.cli.serve import _bridge
from gate_service.config import Settings
from gate_service.core import Core
from gate_service.server import build_server, mark_serving
from mock_provider.server import MockServer, start_mock

T = TypeVar("T")


# Ports for the servers tests start. Not bind(0)'s pick: that comes from the kernel's
# ephemeral range (32768-60999 here), where the suite's own outgoing connections take
# their local ports too (1,500 at once in test_bounds), and under pytest-xdist a port one
# worker probed could go to another worker's server before this one binds it. So each
# xdist worker draws from its own block of 1,000 ports below that range, starting at a
# random offset (another checkout's suite may run on the machine at the same time), and
# skips ports that are in use.
_PORT_BASE, _PORT_BLOCK, _PORT_BLOCKS = 20_000, 1_000, 12
_port_lock = threading.Lock()
_port_next: list[int] = []


def _port_block() -> int:
    """This process's block: 0 outside xdist, 1 + N for worker ``gwN``."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    index = int(worker[2:]) + 1 if worker[2:].isdigit() else 0
    return _PORT_BASE + (index % _PORT_BLOCKS) * _PORT_BLOCK


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on now, for a server about to start."""
    block = _port_block()
    with _port_lock:
        if not _port_next:
            _port_next.append(random.randrange(_PORT_BLOCK))
        for _ in range(_PORT_BLOCK):
            port = block + _port_next[0] % _PORT_BLOCK
            _port_next[0] += 1
            with socket.socket() as s:
                try:
                    s.bind(("127.0.0.1", port))
                except OSError:
                    continue
            return port
    raise RuntimeError(f"no free port in {block}-{block + _PORT_BLOCK - 1}")


@dataclass
class Stack:
    """Handles on a running gateway."""

    settings: Settings
    core: Core = field(init=False)
    mock: MockServer = field(init=False)
    grpc_port: int = 0
    http_port: int = 0
    loop: asyncio.AbstractEventLoop = field(init=False)
    _thread: threading.Thread = field(init=False)
    _stop: asyncio.Event = field(init=False)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}/api/gate/v1"

    @property
    def grpc_target(self) -> str:
        return f"127.0.0.1:{self.grpc_port}"

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = 30) -> T:
        """Run a coroutine on the stack's loop and wait for its result."""
        fut: Future[T] = asyncio.run_coroutine_threadsafe(coro, self.loop)
        return fut.result(timeout)

    def call(self, fn: Any, *args: Any) -> Any:
        """Run a sync function (e.g. an IdentityStore method) off the loop."""
        return fn(*args)

    # -------------------------------------------------------------- lifecycle

    def start(self, *, demo: bool = True) -> Stack:
        ready: Future[None] = Future()
        self.loop = asyncio.new_event_loop()

        def main() -> None:
            asyncio.set_event_loop(self.loop)
            try:
                self.loop.run_until_complete(self._main(ready, demo))
            except BaseException as exc:
                if not ready.done():
                    ready.set_exception(exc)

        self._thread = threading.Thread(target=main, name="gateway", daemon=True)
        self._thread.start()
        ready.result(60)
        return self

    async def _main(self, ready: Future[None], demo: bool) -> None:
        self._stop = asyncio.Event()
        self.mock = await start_mock()
        # A port given up front (a test that needs the address in its settings) or a free one.
        self.http_port = self.http_port or free_port()
        self.settings = replace(self.settings, grpc_port=0, port=self.http_port)
        self.core = await Core.open(self.settings)
        if demo:
            self.core.add_demo_keys(self.mock.url)
        server, self.grpc_port, health = build_server(self.core, "127.0.0.1", 0)
        await server.start()
        await mark_serving(health, True)
        bridge = _bridge(self.grpc_target, self.settings)
        task = asyncio.create_task(bridge.serve())
        while not bridge.started:
            if task.done():
                await task
            await asyncio.sleep(0.01)
        ready.set_result(None)
        await self._stop.wait()
        bridge.should_exit = True
        await task
        await server.stop(1)
        await self.mock.close()
        await self.core.close()

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(30)


def make_settings(data_dir: Path, database_url: str | None = None) -> Settings:
    """Settings isolated from the developer's environment (no real provider keys).

    Brand keys in tests point at the mock provider on 127.0.0.1, a loopback address
    brand keys may not use unless the operator allows it: the test stack allows
    127.0.0.0/8, and nothing else (``SPIDERGATE_ALLOWED_UPSTREAM_NETWORKS``).
    """
    return Settings.from_env(
        env={"SPIDERGATE_ALLOWED_UPSTREAM_NETWORKS": "127.0.0.0/8"},
        data_dir=data_dir,
        database_url=database_url,
    )
