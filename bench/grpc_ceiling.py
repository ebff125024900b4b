"""The gRPC generator's own ceiling: how many calls per second it drives when the server
does (almost) nothing, and how busy that keeps it.

    .venv/bin/python bench/grpc_ceiling.py --in-flight 16 --duration 3
    .venv/bin/python bench/grpc_ceiling.py --in-flight 16 --duration 3 --streaming

A trivial gRPC server, pinned to the gateway's core, answers ChatService's and
StreamService's methods with a canned completion (the size of the gateway's answer to
the benchmark's prompt; a stream of ``--stream-messages`` messages); the generator runs as
in ``bench/run.py --modes grpc``, pinned to the driver core. If its req/s here is well
above the gateway's in the same mode, and its CPU below 100% at the gateway's rate, the
gateway's numbers are the gateway's. The mock provider is not running here, so in a real
run the generator has less of its core than here: compare its CPU% in the run.
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

from grpc_load import CHAT_METHOD, STREAM_METHOD, GrpcTarget
from grpc_mode import run_grpc_load
from harness import GATEWAY_CORE, BenchError, free_port, pinned
from procstat import cpu_seconds


def canned_answers(stream_messages: int) -> tuple[bytes, bytes]:
    """A completion and one stream message, serialised, shaped like the gateway's."""
    from spidergate.v1 import chat_pb2, common_pb2, stream_pb2

    text = "Hello! Bonjour! Hola! (mock answer to: Say hello in three languages.)"
    completion = chat_pb2.CreateChatCompletionResponse(
        completion=common_pb2.ChatCompletion(
            id="chatcmpl-" + "0" * 24,
            object="chat.completion",
            created=int(time.time()),
            model="mock-fast-1",
            choices=[
                common_pb2.Choice(
                    index=0,
                    message=common_pb2.AssistantMessage(role="assistant", content=text),
                    finish_reason="stop",
                )
            ],
            usage=common_pb2.Usage(prompt_tokens=12, completion_tokens=18, total_tokens=30),
        ),
        headers={"x-ratelimit-remaining-requests": "999"},
    )
    piece = text[: max(1, len(text) // max(1, stream_messages))]
    chunk = stream_pb2.StreamChatCompletionResponse(
        chunks=[
            common_pb2.ChatCompletionChunk(
                id="chatcmpl-" + "0" * 24,
                object="chat.completion.chunk",
                created=int(time.time()),
                model="mock-fast-1",
                choices=[
                    common_pb2.ChunkChoice(index=0, delta=common_pb2.ChoiceDelta(content=piece))
                ],
            )
        ]
    )
    return completion.SerializeToString(), chunk.SerializeToString()


async def serve(port: int, stream_messages: int) -> None:
    """The trivial server: bytes in, canned bytes out, no parsing."""
    import grpc

    unary_answer, stream_answer = canned_answers(stream_messages)

    async def unary(request: bytes, context: object) -> bytes:
        return unary_answer

    async def streamed(request: bytes, context: object) -> AsyncIterator[bytes]:
        for _ in range(stream_messages):
            yield stream_answer

    handlers: dict[str, grpc.RpcMethodHandler] = {
        CHAT_METHOD: grpc.unary_unary_rpc_method_handler(unary),
        STREAM_METHOD: grpc.unary_stream_rpc_method_handler(streamed),
    }

    class Handler(grpc.GenericRpcHandler):
        def service(self, details: grpc.HandlerCallDetails) -> grpc.RpcMethodHandler | None:
            return handlers.get(details.method)

    server = grpc.aio.server()
    server.add_generic_rpc_handlers((Handler(),))
    server.add_insecure_port(f"127.0.0.1:{port}")
    await server.start()
    print("trivial server ready", flush=True)
    await server.wait_for_termination()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="the gRPC generator against a trivial server")
    parser.add_argument("--in-flight", type=int, default=16)
    parser.add_argument("--duration", type=float, default=3.0)
    parser.add_argument("--processes", type=int, default=0, help="0: as run.py picks")
    parser.add_argument("--streaming", action="store_true", help="the stream method")
    # The gateway forwards the chunks that arrived from the upstream together as one
    # message; the mock's short answer arrives in one read, so its streams are 1 message.
    parser.add_argument("--stream-messages", type=int, default=1)
    parser.add_argument("--serve", type=int, metavar="PORT", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        import contextlib

        with contextlib.suppress(ImportError):
            import uvloop

            uvloop.install()
        asyncio.run(serve(args.serve, args.stream_messages))
        return 0
    port = free_port()
    server = subprocess.Popen(
        pinned(
            GATEWAY_CORE,
            [
                sys.executable,
                str(Path(__file__).resolve()),
                f"--serve={port}",
                f"--stream-messages={args.stream_messages}",
            ],
        ),
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        if "ready" not in server.stdout.readline():
            raise BenchError("the trivial server did not start")
        target = GrpcTarget(
            address=f"127.0.0.1:{port}",
            method=STREAM_METHOD if args.streaming else CHAT_METHOD,
            request=b"",
            metadata=(("authorization", "Bearer trivial"),),
            streaming=args.streaming,
        )
        before = cpu_seconds(server.pid)
        result = run_grpc_load(
            target,
            in_flight=args.in_flight,
            duration=args.duration,
            processes=args.processes or None,
        )
        # The generator's start-up is inside this window; the server idles through it.
        server_cpu = cpu_seconds(server.pid) - before
    finally:
        server.kill()
        server.wait(10)
    if not result.ok:
        print(f"FAILED: {result.note}")
        return 1
    mode = "stream" if args.streaming else "unary"
    print(
        f"generator vs trivial server, {mode}, {args.in_flight} in flight, "
        f"{args.duration:g}s: {result.rps:,.1f} req/s, p50 {result.p50_ms:.2f} ms, "
        f"p99 {result.p99_ms:.2f} ms, errors {result.errors}; generator CPU "
        f"{result.driver_cpu_pct:.0f}% of core, server CPU {server_cpu:.2f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
