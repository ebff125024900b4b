"""``spidergate serve --workers N``: N processes serving the same ports, one supervisor.

One Python process serves on one core (the event loop, the GIL). To use every core of a
machine, the supervisor (this module, the process the user started) starts N workers,
each a whole ``serve`` (core and bridge, or the one component asked for) in its own
process, and serves no request itself:

- **Ports**: every worker binds the HTTP and gRPC ports with ``SO_REUSEPORT`` and the
  kernel spreads connections over them (why, and what it costs: ``cli/reuseport.py``).
  The supervisor checks the ports are free first (and picks them for port 0).
- **Shared state**: limits, budgets and the cache must be exact across workers, so they
  live in Redis: ``--redis-url`` when given, else a private redis-server
  (``cli/private_redis.py``). Each worker still has its own ledger journal slot (the
  journal takes the first slot no running process holds, ``ledger/journal.py``).
- **Start**: worker 0 first, alone, until it serves (it migrates the database, seeds
  the catalog, makes the vault key, prints the ``--demo`` token); then the others.
- **A worker that dies** is started again after a backoff (0.5 s, doubling up to 30 s,
  back to 0.5 s once a worker has served for a minute), so a crash loop does not spin.
- **SIGTERM/SIGINT** go to every worker, which drains as ``serve`` does (readiness off,
  requests in flight get the grace, then the rest are ended); the supervisor waits the
  grace and a little more, kills what still runs, and exits.

Workers are started with ``spawn`` (a fresh interpreter), never ``fork``: nothing of the
supervisor's state (threads, gRPC's, sockets) is inherited half-made.
"""

from __future__ import annotations

import argparse
import contextlib
import multiprocessing
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, replace
from multiprocessing.connection import wait
from typing import Any

from gate_service.cli.private_redis import PrivateRedis, PrivateRedisError, die_with_parent
from gate_service.cli.reuseport import claim_port
from gate_service.config import Settings

BACKOFF_FIRST_S = 0.5
BACKOFF_MAX_S = 30.0
# A worker that served this long is healthy again: the next death restarts it quickly.
HEALTHY_AFTER_S = 60.0
STARTUP_TIMEOUT_S = 120.0
# Past the shutdown grace: the workers' last words (serve.py) and closing down.
_STOP_MARGIN_S = 10.0


class WorkerCountError(ValueError):
    """``--workers`` is neither a positive whole number nor ``auto``."""


def worker_count(value: str | int) -> int:
    """``--workers``: a positive whole number, or ``auto`` for the cores this process may
    run on (its CPU affinity, so ``taskset`` and container limits count)."""
    if str(value).strip().lower() == "auto":
        return (
            len(os.sched_getaffinity(0))
            if hasattr(os, "sched_getaffinity")
            else os.cpu_count() or 1
        )
    try:
        count = int(str(value))
    except ValueError:
        raise WorkerCountError(f"expected a number of processes or 'auto', got {value!r}") from None
    if count < 1:
        raise WorkerCountError(f"expected at least 1, got {count}")
    return count


def _say(message: str) -> None:
    print(f"supervisor: {message}", file=sys.stderr, flush=True)


def _worker_main(args: argparse.Namespace, settings: Settings, ready: Any) -> None:
    """A worker's entry (in a fresh interpreter): ``serve`` as usual, telling the
    supervisor when it serves."""
    die_with_parent()
    from gate_service.cli.serve import serve_forever
    from gate_service.telemetry.logs import configure as configure_logs

    configure_logs(settings.log_level, settings.log_format)
    args.on_ready = ready.set
    serve_forever(args, settings)


@dataclass
class _Slot:
    """One worker's place: its number, its process, and its restart history."""

    index: int
    proc: Any = None  # multiprocessing.Process (the spawn context's)
    ready: Any = None
    started_at: float = 0.0
    failures: int = 0
    restart_at: float | None = None


class Supervisor:
    """Starts, watches and stops the workers (see the module docstring)."""

    def __init__(self, args: argparse.Namespace, settings: Settings, count: int) -> None:
        self.args = args
        self.settings = settings
        self.count = count
        self.context = multiprocessing.get_context("spawn")
        self.slots = [_Slot(i) for i in range(count)]
        self.stopping = False
        self.redis: PrivateRedis | None = None
        self.mock: subprocess.Popen[bytes] | None = None

    # ------------------------------------------------------------------ start

    def prepare(self) -> None:
        """Ports, shared state and the demo's mock: what every worker is given."""
        settings = self.settings
        component = self.args.component
        overrides: dict[str, Any] = {}
        if component in ("all", "bridge"):
            overrides["port"] = claim_port(settings.host, settings.port)
        if component in ("all", "core"):
            overrides["grpc_port"] = claim_port(settings.grpc_host, settings.grpc_port)
            if not settings.redis_url:
                self.redis = PrivateRedis.find()
                self.redis.start()
                overrides["redis_url"] = self.redis.url
                _say(f"limits, budgets and the cache shared through {self.redis.socket_path}")
        self.settings = replace(settings, **overrides)
        if self.args.demo and not self.args.mock_url and component != "bridge":
            self.args.mock_url = self._start_mock()

    def _start_mock(self) -> str:
        """One mock provider for every worker (each would otherwise start its own)."""
        port = claim_port("127.0.0.1", 0)
        self.mock = subprocess.Popen(
            [sys.executable, "-m", "mock_provider", "--port", str(port)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            start_new_session=True,  # a terminal's Ctrl-C reaches it through us, in order
            preexec_fn=die_with_parent,
        )
        return f"http://127.0.0.1:{port}"

    def _spawn(self, slot: _Slot, *, first: bool) -> None:
        args = argparse.Namespace(**vars(self.args))
        args.print_token = first and slot.index == 0
        if args.metrics_port is not None:
            args.metrics_port += slot.index  # one /metrics per worker: a scrape is exact
        slot.ready = self.context.Event()
        slot.proc = self.context.Process(
            target=_worker_main,
            args=(args, self.settings, slot.ready),
            name=f"spidergate-worker-{slot.index}",
        )
        slot.proc.start()
        slot.started_at = time.monotonic()
        slot.restart_at = None

    def _wait_ready(self, slots: list[_Slot]) -> str | None:
        """Wait until every slot's worker serves; the problem, if one died or hung."""
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        for slot in slots:
            while not slot.ready.wait(0.1):
                if self.stopping:
                    return "stopped while starting"
                if not slot.proc.is_alive():
                    return (
                        f"worker {slot.index} exited with code {slot.proc.exitcode} while starting"
                    )
                if time.monotonic() > deadline:
                    return f"worker {slot.index} did not start within {STARTUP_TIMEOUT_S:g} s"
        return None

    # ------------------------------------------------------------------ run

    def run(self) -> int:
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, self._on_signal)
        try:
            self.prepare()
        except (OSError, PrivateRedisError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            self._close_helpers()
            return 1
        try:
            self._spawn(self.slots[0], first=True)
            problem = self._wait_ready(self.slots[:1])
            if problem is None:
                for slot in self.slots[1:]:
                    self._spawn(slot, first=True)
                problem = self._wait_ready(self.slots[1:])
            if problem is not None and not self.stopping:
                print(f"error: {problem}", file=sys.stderr)
                self._stop_workers()
                return 1
            if not self.stopping:
                pids = ", ".join(str(s.proc.pid) for s in self.slots)
                _say(f"{self.count} workers serving (pids {pids})")
                self._watch()
            self._stop_workers()
        finally:
            self._close_helpers()
        _say("stopped")
        return 0

    def _on_signal(self, signum: int, _frame: Any) -> None:
        self.stopping = True

    def _watch(self) -> None:
        """Until a signal: restart a worker that died, after its backoff."""
        while not self.stopping:
            alive = [
                s.proc.sentinel for s in self.slots if s.proc is not None and s.proc.is_alive()
            ]
            wait(alive, timeout=0.2)
            now = time.monotonic()
            if self.redis is not None and not self.redis.alive() and not self.stopping:
                _say("the private redis-server died; starting it again (counters re-seed)")
                with contextlib.suppress(PrivateRedisError):
                    self.redis.start()
            for slot in self.slots:
                if self.stopping:
                    break
                self._tend(slot, now)

    def _tend(self, slot: _Slot, now: float) -> None:
        if slot.restart_at is not None:
            if now >= slot.restart_at:
                _say(f"starting worker {slot.index} again")
                self._spawn(slot, first=False)
            return
        if slot.proc.is_alive():
            return
        if now - slot.started_at >= HEALTHY_AFTER_S:
            slot.failures = 0
        delay = min(BACKOFF_MAX_S, BACKOFF_FIRST_S * 2**slot.failures)
        slot.failures += 1
        slot.restart_at = now + delay
        _say(
            f"worker {slot.index} (pid {slot.proc.pid}) exited with code "
            f"{slot.proc.exitcode}; restarting it in {delay:g} s"
        )

    # ------------------------------------------------------------------ stop

    def _stop_workers(self) -> None:
        """SIGTERM every worker (each drains), wait out the grace, kill what remains."""
        running = [s.proc for s in self.slots if s.proc is not None and s.proc.is_alive()]
        if not running:
            return
        _say(f"stopping {len(running)} workers: requests in flight finish")
        for proc in running:
            with contextlib.suppress(ProcessLookupError):
                os.kill(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + self.settings.shutdown_grace_s + _STOP_MARGIN_S
        for proc in running:
            proc.join(max(0.0, deadline - time.monotonic()))
            if proc.is_alive():
                _say(f"worker pid {proc.pid} still running after the grace; killing it")
                proc.kill()
                proc.join(5)

    def _close_helpers(self) -> None:
        if self.mock is not None and self.mock.poll() is None:
            self.mock.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.mock.wait(5)
        if self.redis is not None:
            self.redis.stop()


def supervise(args: argparse.Namespace, settings: Settings, count: int) -> int:
    """Run ``count`` workers until SIGTERM/SIGINT; the process's exit code."""
    return Supervisor(args, settings, count).run()
