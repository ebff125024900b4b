"""The rolling-restart harness: Debian's HAProxy in front of two ``spidergate serve``
replicas (one PostgreSQL database, one Redis), and clients that keep it busy.

- :class:`Balancer`: HAProxy started by the test with a config written to its tmp
  folder: round robin, an HTTP health check on the bridge's readiness route every
  500 ms (``fall 1``, ``rise 1``), and retries only of what never reached a replica
  (``retry-on conn-failure empty-response``, ``option redispatch``). Its stats page tells
  when it sees a replica UP. No HAProxy on the machine is a failure, never a skip.
- :class:`Replica`: one ``spidergate serve`` process, restarted on the same ports.
- :class:`Load`: client threads sending chat completions through the balancer without
  pause, plain ones with the ``openai`` SDK and streams with httpx (to see ``[DONE]``),
  recording every answer: its request id, which replica served it, when.
"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import signal
import subprocess
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx
import openai
import pytest

from tests.e2e.processes import CLI, Procs
from tests.stack import free_port

READY = "/api/gate/v1/ready"


def haproxy_binary() -> str:
    """Debian's haproxy (``/usr/sbin``, which a non-root PATH may lack); missing fails."""
    found = shutil.which("haproxy") or shutil.which("haproxy", path="/usr/sbin:/usr/local/sbin")
    if found is None:
        pytest.fail(
            "haproxy is not installed: `apt-get install -y haproxy` (.ci/run installs it); "
            "the rolling-restart test needs a real load balancer",
            pytrace=False,
        )
    return found


_CONFIG = """\
global
    log stdout format raw local0 info
    maxconn 4096

defaults
    mode http
    log global
    option httplog
    timeout connect 1s
    timeout client 60s
    timeout server 60s
    timeout check 1s
    # Retry (on another replica) only what never reached one: a refused connection, or
    # a kept-alive connection closed before any byte of an answer. Never a timeout or a
    # cut answer: that request may have run, and spent.
    retries 3
    option redispatch 1
    retry-on conn-failure empty-response

frontend gateway
    bind 127.0.0.1:{port}
    default_backend replicas

backend replicas
    balance roundrobin
    option httpchk
    http-check send meth GET uri {ready}
    http-check expect status 200
    http-response set-header X-Replica %[srv_name]
    default-server inter 500ms fall 1 rise 1
{servers}

listen stats
    bind 127.0.0.1:{stats_port}
    stats enable
    stats uri /stats
"""


class Balancer:
    """HAProxy in front of ``backends`` (name -> port), as a process of the test's own."""

    def __init__(self, procs: Procs, backends: dict[str, int]) -> None:
        self.port, self.stats_port = free_port(), free_port()
        servers = "\n".join(
            f"    server {name} 127.0.0.1:{port} check" for name, port in backends.items()
        )
        config = procs.tmp / "haproxy.cfg"
        config.write_text(
            _CONFIG.format(port=self.port, stats_port=self.stats_port, ready=READY, servers=servers)
        )
        binary = haproxy_binary()
        checked = subprocess.run(
            [binary, "-c", "-f", str(config)], capture_output=True, text=True, timeout=30
        )
        assert checked.returncode == 0, checked.stdout + checked.stderr
        self.proc = procs.start([binary, "-db", "-f", str(config)], "haproxy")
        self.procs = procs
        self.url = f"http://127.0.0.1:{self.port}/api/gate/v1"

    def _stats(self) -> dict[str, dict[str, str]]:
        """The stats page's rows of the backend, by server name (and "BACKEND")."""
        r = httpx.get(f"http://127.0.0.1:{self.stats_port}/stats;csv", timeout=5)
        rows = csv.DictReader(io.StringIO(r.text.lstrip("# ")))
        return {row["svname"]: row for row in rows if row["pxname"] == "replicas"}

    def status(self) -> dict[str, str]:
        """What HAProxy thinks of each server now: UP, DOWN, ..."""
        rows = self._stats()
        return {name: row["status"].split()[0] for name, row in rows.items() if name != "BACKEND"}

    def went_down(self) -> list[tuple[str, str]]:
        """(server, reason) each time HAProxy took a server out, from its log."""
        found = re.findall(
            r"^Server replicas/(\S+) is DOWN, reason: ([^,]+(?:, code: \d+)?)",
            self.procs.log("haproxy"),
            flags=re.MULTILINE,
        )
        return [(name, reason) for name, reason in found]

    def trouble(self) -> dict[str, int]:
        """The backend's counters of what went wrong reaching a replica: connections that
        failed (``econ``), answers that failed (``eresp``), retries (``wretr``) and
        redispatches (``wredis``)."""
        row = self._stats()["BACKEND"]
        return {key: int(row[key] or 0) for key in ("econ", "eresp", "wretr", "wredis")}

    def wait_status(self, name: str, want: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, self.procs.log("haproxy")
            try:
                if self.status().get(name) == want:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        raise AssertionError(f"HAProxy never saw {name} {want}: {self.status()}")


class Replica:
    """``spidergate serve`` on fixed ports, stopped with SIGTERM and started again."""

    def __init__(self, procs: Procs, name: str, args: list[str]) -> None:
        self.procs, self.name, self.args = procs, name, args
        self.port, self.grpc_port = free_port(), free_port()
        self.runs = 0
        self.proc: subprocess.Popen[str] | None = None

    @property
    def log_name(self) -> str:
        return f"{self.name}-{self.runs}"

    def start(self) -> None:
        self.runs += 1
        ports = ["--port", str(self.port), "--grpc-port", str(self.grpc_port)]
        self.proc = self.procs.start([*CLI, "serve", *self.args, *ports], self.log_name)

    def wait_ready(self, timeout: float = 60) -> None:
        url = f"http://127.0.0.1:{self.port}{READY}"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc is not None and self.proc.poll() is None, self.log()
            try:
                if httpx.get(url, timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        raise AssertionError(f"{self.name} never became ready:\n{self.log()}")

    def stop(self, timeout: float = 60) -> float:
        """SIGTERM, then wait for the process to end (0); returns when SIGTERM was sent."""
        assert self.proc is not None
        sent = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        assert self.proc.wait(timeout) == 0, self.log()
        return sent

    def log(self) -> str:
        return self.procs.log(self.log_name)


@dataclass
class Answer:
    """One request through the balancer, as its client saw it."""

    request_id: str
    streamed: bool
    started: float
    ended: float = 0.0
    replica: str = ""
    error: str = ""  # empty: a 200 with the full content (and [DONE] for a stream)


@dataclass
class Load:
    """Clients sending requests through ``url`` until :meth:`stop`."""

    url: str
    token: str
    plain_model: str
    stream_model: str
    prompt: str
    expected: dict[str, str]  # model -> the full content of its answer
    answers: list[Answer] = field(default_factory=list)
    # A stream whose answer has begun and not ended, by replica (what SIGTERM must spare).
    streaming: dict[str, int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)

    def start(self, plain: int, streams: int) -> None:
        targets = [self._plain] * plain + [self._streams] * streams
        self._threads = [threading.Thread(target=t, daemon=True) for t in targets]
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(60)
            assert not thread.is_alive()

    def served_by(self, replica: str, since: float) -> int:
        with self._lock:
            return sum(1 for a in self.answers if a.replica == replica and a.started > since)

    def wait_served(self, replica: str, since: float, count: int) -> None:
        """Until ``replica`` has answered ``count`` requests started after ``since``."""
        self._wait(lambda: self.served_by(replica, since) >= count, f"{replica} serves")

    def wait_streaming(self, replica: str) -> None:
        """Until a stream is running on ``replica`` (its answer begun, not ended)."""
        self._wait(lambda: self.streaming.get(replica, 0) > 0, f"a stream on {replica}")

    def _wait(self, predicate: Callable[[], bool], what: str, timeout: float = 30) -> None:
        """Until ``predicate`` holds: an event the load shows, never a fixed time."""
        deadline = time.monotonic() + timeout
        while not predicate():
            assert time.monotonic() < deadline, f"never: {what}"
            time.sleep(0.02)

    def _record(self, answer: Answer) -> None:
        answer.ended = time.monotonic()
        with self._lock:
            self.answers.append(answer)

    def _messages(self) -> list[dict[str, str]]:
        return [{"role": "user", "content": self.prompt}]

    def _plain(self) -> None:
        client = openai.OpenAI(base_url=self.url, api_key=self.token, max_retries=0, timeout=60)
        while not self._stop.is_set():
            answer = Answer(uuid.uuid4().hex, False, time.monotonic())
            try:
                raw = client.chat.completions.with_raw_response.create(
                    model=self.plain_model,
                    messages=self._messages(),  # type: ignore[arg-type]
                    extra_headers={"X-Request-Id": answer.request_id},
                )
                answer.replica = raw.headers.get("x-replica", "")
                content = raw.parse().choices[0].message.content
                if raw.headers.get("x-request-id") != answer.request_id:
                    answer.error = f"request id {raw.headers.get('x-request-id')}"
                elif content != self.expected[self.plain_model]:
                    answer.error = f"content {content!r}"
            except openai.OpenAIError as exc:
                answer.error = f"{type(exc).__name__}: {exc}"
            self._record(answer)

    def _streams(self) -> None:
        body = {"model": self.stream_model, "stream": True, "messages": self._messages()}
        with httpx.Client(timeout=60) as client:
            while not self._stop.is_set():
                answer = Answer(uuid.uuid4().hex, True, time.monotonic())
                headers = {
                    "Authorization": f"Bearer {self.token}",
                    "X-Request-Id": answer.request_id,
                }
                try:
                    self._stream(client, body, headers, answer)
                except httpx.HTTPError as exc:
                    answer.error = f"{type(exc).__name__}: {exc}"
                self._record(answer)

    def _stream(
        self, client: httpx.Client, body: dict[str, object], headers: dict[str, str], a: Answer
    ) -> None:
        with client.stream("POST", self.url + "/chat/completions", json=body, headers=headers) as r:
            a.replica = r.headers.get("x-replica", "")
            if r.status_code != 200:
                r.read()
                a.error = f"{r.status_code} {r.text[:300]}"
                return
            with self._lock:
                self.streaming[a.replica] = self.streaming.get(a.replica, 0) + 1
            try:
                events = [line[6:] for line in r.iter_lines() if line.startswith("data: ")]
            finally:
                with self._lock:
                    self.streaming[a.replica] -= 1
        if not events or events[-1] != "[DONE]":
            a.error = f"no [DONE]: {events[-2:]}"
            return
        chunks = [json.loads(e) for e in events[:-1]]
        errors = [c["error"] for c in chunks if "error" in c]
        content = "".join(
            c["choices"][0]["delta"].get("content") or "" for c in chunks if c.get("choices")
        )
        if errors:
            a.error = f"error event {errors}"
        elif r.headers.get("x-request-id") != a.request_id:
            a.error = f"request id {r.headers.get('x-request-id')}"
        elif content != self.expected[self.stream_model]:
            a.error = f"content {content!r}"
