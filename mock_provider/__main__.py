"""``spidergate-mock`` / ``python -m mock_provider``: run the mock as a process.

Prints exactly one line, ``mock provider listening on http://HOST:PORT``, once
the socket accepts connections (scripts wait for it; with ``--port 0`` it is
the only way to learn the port), then serves until SIGINT or SIGTERM.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
from collections.abc import Callable, Sequence

from mock_provider.server import start_mock

__all__ = ["main"]


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="spidergate-mock",
        description=(
            "Deterministic mock LLM provider (OpenAI, Anthropic and Gemini wire formats)."
        ),
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument(
        "--port", type=int, default=9090, help="port to bind, 0 for any free port (default 9090)"
    )
    return parser.parse_args(argv)


async def _serve(host: str, port: int) -> None:
    server = await start_mock(host, port)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):  # non-Unix loops
            loop.add_signal_handler(sig, stop.set)
    print(f"mock provider listening on {server.url}", flush=True)
    try:
        await stop.wait()
    finally:
        await server.close()


def _loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop when installed: about 25% more requests/s on one core than asyncio."""
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse_args(argv)
    try:
        with asyncio.Runner(loop_factory=_loop_factory()) as runner:
            runner.run(_serve(args.host, args.port))
    except OSError as exc:
        print(f"mock provider failed to start: {exc}", file=sys.stderr, flush=True)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
