"""A gRPC load generator for the benchmark's ``grpc`` and ``grpc-stream`` modes.

wrk speaks HTTP/1.1 only, and no compiled gRPC load tool (ghz) installs from the package
registries this project reaches, so the gRPC modes bring their own: closed loops like
wrk's connections (send, wait for the whole answer, send again), ``in_flight`` of them,
for ``duration`` seconds, reporting the same numbers as a wrk run.

A Python client is not free: against a trivial server (``bench/grpc_ceiling.py``) one
worker with uvloop drives ~7,000 unary calls/s on its core, the gateway ~1,000. To keep
that cost low the request is serialised once and the answers are not parsed (status OK
is what counts, as wrk counts an HTTP 2xx), and the loops are split among worker
processes (``processes``), each with its own event loop and channel (one process: ~7,100
calls/s at 16 in flight; two or four: ~7,700-8,000, the poller threads of grpc then
overlapping with Python's work). Every worker reports its
latencies and its CPU time in the timed window, so each run says how busy the generator
was (``generator_cpu_pct``, of the driver core it shares with the mock provider).

Run by ``grpc_mode.run_grpc_load`` as ``taskset -c 1 python bench/grpc_load.py`` with the
target as JSON on stdin (it carries the token: never on the command line); the result is
one ``GRPCLOAD {json}`` line on stdout, read by ``grpc_mode.parse_grpc_output``.
``--verify`` makes one call instead, answer parsed, and prints its completion text.
"""

from __future__ import annotations

import base64
import contextlib
import json
import multiprocessing
import multiprocessing.connection
import sys
import time
from array import array
from collections import Counter
from dataclasses import dataclass
from typing import Any

from harness import BenchError

#: The methods the gRPC modes call (ChatService and StreamService of spidergate.v1).
CHAT_METHOD = "/spidergate.v1.ChatService/CreateChatCompletion"
STREAM_METHOD = "/spidergate.v1.StreamService/StreamChatCompletion"
#: Worker processes at most: more only adds context switches on the one driver core.
MAX_PROCESSES = 4
#: What the result line starts with (the rest is JSON).
RESULT_PREFIX = "GRPCLOAD "


@dataclass(frozen=True)
class GrpcTarget:
    """One gRPC method to call: where, the serialised request, the call's metadata."""

    address: str
    method: str
    request: bytes
    metadata: tuple[tuple[str, str], ...]
    streaming: bool = False

    def to_json(self) -> str:
        return json.dumps(
            {
                "address": self.address,
                "method": self.method,
                "request": base64.b64encode(self.request).decode(),
                "metadata": [list(pair) for pair in self.metadata],
                "streaming": self.streaming,
            }
        )

    @classmethod
    def from_json(cls, text: str) -> GrpcTarget:
        data = json.loads(text)
        return cls(
            address=str(data["address"]),
            method=str(data["method"]),
            request=base64.b64decode(data["request"]),
            metadata=tuple((str(k), str(v)) for k, v in data["metadata"]),
            streaming=bool(data["streaming"]),
        )


def default_processes(in_flight: int) -> int:
    """One worker per 4 loops, at least 1, at most :data:`MAX_PROCESSES`."""
    return max(1, min(MAX_PROCESSES, (in_flight + 3) // 4))


def split(in_flight: int, processes: int) -> list[int]:
    """``in_flight`` loops over ``processes`` workers, as evenly as it goes (none empty)."""
    processes = max(1, min(processes, in_flight))
    base, extra = divmod(in_flight, processes)
    return [base + (1 if i < extra else 0) for i in range(processes)]


def percentile(sorted_values: list[float], pct: float) -> float:
    """Nearest-rank percentile of an ascending list (0.0 when empty)."""
    if not sorted_values:
        return 0.0
    rank = max(1, -(-len(sorted_values) * pct // 100))
    return sorted_values[min(len(sorted_values), int(rank)) - 1]


# --------------------------------------------------------------------------- worker


@dataclass
class WorkerResult:
    """What one worker counted in the timed window (latencies in seconds)."""

    latencies: array[float]
    codes: Counter[str]
    messages: int
    cpu_s: float


async def _loop(
    call: Any,
    target: GrpcTarget,
    end: float,
    timeout_s: float,
    out: WorkerResult,
) -> None:
    """One closed loop: a call, its whole answer, the next call, until ``end``."""
    import grpc

    while time.monotonic() < end:
        started = time.monotonic()
        code = "OK"
        messages = 0
        try:
            if target.streaming:
                async for _ in call(target.request, metadata=target.metadata, timeout=timeout_s):
                    messages += 1
            else:
                await call(target.request, metadata=target.metadata, timeout=timeout_s)
                messages = 1
        except grpc.aio.AioRpcError as exc:
            code = exc.code().name
        finished = time.monotonic()
        if finished > end:
            return  # finished after the window: not counted, as wrk does
        if code == "OK":
            out.latencies.append(finished - started)
            out.messages += messages
        else:
            out.codes[code] += 1


async def _worker_main(
    target: GrpcTarget,
    loops: int,
    duration: float,
    timeout_s: float,
    ready: Any,
    start_at: Any,
) -> WorkerResult:
    import asyncio

    import grpc

    out = WorkerResult(array("d"), Counter(), 0, 0.0)
    async with grpc.aio.insecure_channel(target.address) as channel:
        try:  # wrk's --timeout bounds its connects too
            await asyncio.wait_for(channel.channel_ready(), timeout_s)
        except TimeoutError:
            raise BenchError(f"could not connect to {target.address} in {timeout_s:g} s") from None
        if target.streaming:
            call: Any = channel.unary_stream(target.method)
        else:
            call = channel.unary_unary(target.method)
        ready.send(True)
        # The parent sends every worker the same start time (CLOCK_MONOTONIC is
        # machine-wide), once all are connected.
        begin = await asyncio.get_running_loop().run_in_executor(None, start_at.recv)
        await asyncio.sleep(max(0.0, begin - time.monotonic()))
        end = begin + duration
        cpu = time.process_time()
        tasks = [
            asyncio.create_task(_loop(call, target, end, timeout_s, out)) for _ in range(loops)
        ]
        await asyncio.wait(tasks, timeout=max(0.0, end - time.monotonic()) + 0.05)
        out.cpu_s = time.process_time() - cpu
        # Calls still out at the end are cancelled (wrk, too, just stops).
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    return out


def _worker(
    target_json: str,
    loops: int,
    duration: float,
    timeout_s: float,
    ready: multiprocessing.connection.Connection,
    start_at: multiprocessing.connection.Connection,
    results: multiprocessing.connection.Connection,
) -> None:
    import asyncio

    with contextlib.suppress(ImportError):
        import uvloop

        uvloop.install()
    target = GrpcTarget.from_json(target_json)
    try:
        out = asyncio.run(_worker_main(target, loops, duration, timeout_s, ready, start_at))
    except Exception as exc:  # reported to the parent, which fails the run with it
        results.send(("error", f"{type(exc).__name__}: {exc}"))
        return
    results.send(("ok", out.latencies.tobytes(), dict(out.codes), out.messages, out.cpu_s))


# --------------------------------------------------------------------------- parent


def generate(
    target: GrpcTarget, in_flight: int, duration: float, processes: int, timeout_s: float
) -> dict[str, object]:
    """Run the workers and merge what they counted into one result dict."""
    # fork: this process has not imported grpc (grpc does not survive a fork once used).
    context = multiprocessing.get_context("fork")
    workers = []
    for loops in split(in_flight, processes):
        ready_r, ready_w = context.Pipe(duplex=False)
        start_r, start_w = context.Pipe(duplex=False)
        result_r, result_w = context.Pipe(duplex=False)
        proc = context.Process(
            target=_worker,
            args=(target.to_json(), loops, duration, timeout_s, ready_w, start_r, result_w),
            daemon=True,
        )
        proc.start()
        workers.append((proc, ready_r, start_w, result_r))
    failures: list[str] = []
    for proc, ready_r, _, result_r in workers:
        ready_or_failed = multiprocessing.connection.wait(
            [ready_r, result_r], timeout=timeout_s + 30
        )
        if ready_r in ready_or_failed:
            ready_r.recv()
        elif result_r in ready_or_failed:
            failures.append(str(result_r.recv()[1]))
        else:
            failures.append(f"worker {proc.pid} did not start")
    if failures:
        for proc, *_ in workers:
            proc.kill()
        return {"error": failures[0]}
    begin = time.monotonic() + 0.05
    for _, _, start_w, _ in workers:
        start_w.send(begin)
    latencies: list[float] = []
    codes: Counter[str] = Counter()
    messages = 0
    cpu_s = 0.0
    for proc, _, _, result_r in workers:
        if not result_r.poll(duration + timeout_s + 30):
            failures.append(f"worker {proc.pid} sent no result")
            continue
        reply = result_r.recv()
        if reply[0] != "ok":
            failures.append(str(reply[1]))
            continue
        values = array("d")
        values.frombytes(reply[1])
        latencies.extend(values)
        codes.update(reply[2])
        messages += int(reply[3])
        cpu_s += float(reply[4])
    for proc, *_ in workers:
        proc.join(5)
        if proc.is_alive():
            proc.kill()
    latencies.sort()
    ms = [1000 * percentile(latencies, p) for p in (50, 90, 99)]
    result: dict[str, object] = {
        "requests": len(latencies) + sum(codes.values()),
        "ok": len(latencies),
        "duration_s": duration,
        "p50_ms": ms[0],
        "p90_ms": ms[1],
        "p99_ms": ms[2],
        "max_ms": 1000 * latencies[-1] if latencies else 0.0,
        "codes": dict(codes),
        "messages": messages,
        "processes": len(workers),
        "generator_cpu_s": cpu_s,
        "generator_cpu_pct": 100 * cpu_s / duration if duration else 0.0,
    }
    if failures:
        result["error"] = failures[0]
    return result


def completion_text(method: str, answers: list[bytes]) -> str:
    """The completion text in the serialised answers of a gRPC mode's method: the
    message's content (unary), or the chunks' delta contents joined (stream)."""
    from spidergate.v1 import chat_pb2, stream_pb2

    if method == CHAT_METHOD:
        reply = chat_pb2.CreateChatCompletionResponse.FromString(answers[0])
        choices = reply.completion.choices
        return choices[0].message.content if choices else ""
    parts: list[str] = []
    for raw in answers:
        for chunk in stream_pb2.StreamChatCompletionResponse.FromString(raw).chunks:
            parts.extend(choice.delta.content for choice in chunk.choices)
    return "".join(parts)


def verify(target: GrpcTarget, timeout_s: float = 30.0) -> str:
    """One call, answers parsed: the completion text, or a BenchError saying what came."""
    import grpc

    with grpc.insecure_channel(target.address) as channel:
        try:
            if target.streaming:
                stream: Any = channel.unary_stream(target.method)
                answers = list(stream(target.request, metadata=target.metadata, timeout=timeout_s))
            else:
                unary: Any = channel.unary_unary(target.method)
                answers = [unary(target.request, metadata=target.metadata, timeout=timeout_s)]
        except grpc.RpcError as exc:
            raise BenchError(
                f"{target.method} answered {exc.code().name}: {exc.details()}"
            ) from exc
    text = completion_text(target.method, answers)
    if not text:
        raise BenchError(f"{target.method} answered OK without completion text")
    return text


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--in-flight", type=int, default=1)
    parser.add_argument("--duration", type=float, default=1.0)
    parser.add_argument("--processes", type=int, default=0, help="0: one per 4 in flight")
    parser.add_argument("--timeout", type=float, default=10.0, help="per-call deadline (s)")
    parser.add_argument(
        "--verify", action="store_true", help="one call, answer parsed; print its text"
    )
    args = parser.parse_args(argv)
    if args.verify:
        try:
            print(verify(GrpcTarget.from_json(sys.stdin.read()), args.timeout))
        except BenchError as exc:
            print(f"ERROR: {exc}")
            return 1
        return 0
    if args.in_flight < 1 or args.duration <= 0:
        parser.error("--in-flight and --duration must be positive")
    target = GrpcTarget.from_json(sys.stdin.read())
    processes = args.processes or default_processes(args.in_flight)
    result = generate(target, args.in_flight, args.duration, processes, args.timeout)
    print(RESULT_PREFIX + json.dumps(result), flush=True)
    return 1 if "error" in result else 0


if __name__ == "__main__":
    sys.exit(main())
