"""A private ``redis-server`` for ``serve --workers N`` on the embedded default.

Why: rate limits, budgets, the response cache, alias changes (and key state, where it is
kept in Redis) are exact across processes only in a store they share. With
``--redis-url`` that store is given. Without it, the supervisor starts its own
redis-server and hands its address to the workers, so every worker runs exactly the
code replicas run with Redis: the atomic Lua scripts of ``governance/redis_store.py``,
``cache/redis_cache.py``, already tested against Redis, rather than a fourth backend of
each store behind a protocol of our own.

It listens on a Unix socket only (no TCP port: nothing outside this machine, and only
this user through the directory's 0700 mode, so it needs no password), keeps nothing on
disk (the counters are re-seeded from the ledger, as after any Redis restart) and dies
with the supervisor. When ``redis-server`` is not installed, ``--workers`` above 1
needs ``--redis-url``: the error says so.
"""

from __future__ import annotations

import contextlib
import ctypes
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import redis

STARTUP_TIMEOUT_S = 10.0


def die_with_parent() -> None:
    """Linux: this (child) process gets SIGTERM when the supervisor dies, however it dies
    (a SIGKILLed supervisor must leave no worker holding the ports, no redis-server)."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


class PrivateRedisError(RuntimeError):
    """redis-server is missing or did not start; the message says what to do."""


class PrivateRedis:
    """One redis-server child on a Unix socket in a fresh private directory."""

    def __init__(self, binary: str) -> None:
        self._binary = binary
        self._dir = Path(tempfile.mkdtemp(prefix="spidergate-redis-"))  # mode 0700
        self.socket_path = self._dir / "redis.sock"
        self.proc: subprocess.Popen[bytes] | None = None

    @classmethod
    def find(cls) -> PrivateRedis:
        binary = shutil.which("redis-server")
        if binary is None:
            raise PrivateRedisError(
                "--workers above 1 shares limits, budgets and the cache between the "
                "workers through Redis: pass --redis-url, or install redis-server (Debian "
                "and Ubuntu: apt install redis-server; macOS: brew install redis) and the "
                "supervisor runs a private one"
            )
        return cls(binary)

    @property
    def url(self) -> str:
        return f"unix://{self.socket_path}"

    def start(self) -> None:
        """Start (or restart, after it died) and wait until it answers PING."""
        self.socket_path.unlink(missing_ok=True)
        self.proc = subprocess.Popen(
            [
                self._binary,
                "--port", "0",
                "--unixsocket", str(self.socket_path),
                "--unixsocketperm", "700",
                "--save", "",
                "--appendonly", "no",
                "--dir", str(self._dir),
                "--loglevel", "warning",
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            # A terminal's Ctrl-C reaches it only through the supervisor, after the
            # workers drained (their last settles need it); it dies with the supervisor.
            start_new_session=True,
            preexec_fn=die_with_parent,
        )  # fmt: skip
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise PrivateRedisError(f"redis-server exited with code {self.proc.returncode}")
            if self.answers():
                return
            time.sleep(0.05)
        self.stop()
        raise PrivateRedisError(f"redis-server did not answer within {STARTUP_TIMEOUT_S:g} s")

    def answers(self) -> bool:
        client = redis.Redis(unix_socket_path=str(self.socket_path), socket_timeout=1)
        try:
            return bool(client.ping())
        except (redis.RedisError, OSError):
            return False
        finally:
            client.close()

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self._dir, ignore_errors=True)
