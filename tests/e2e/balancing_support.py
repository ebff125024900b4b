"""Two real cores for the balancing tests, each with a mock provider of its own so a
call's prompt shows which core served it.

Core A listens on 127.0.0.1:P and core B on 127.0.0.2:P (the same port), both on one
PostgreSQL database (one token works on both), started with the CLI as a user runs them.
A test's DNS server (tests/dns_server.py) answers ``cores.test`` with both addresses, so
a ``dns://DNS/cores.test:P`` target spreads by DNS alone; the machine's own resolver
cannot be pointed at two loopback addresses without editing /etc/hosts, which a test
must not do. ``ipv4:127.0.0.1:P,127.0.0.2:P`` names the same two cores directly.
"""

from __future__ import annotations

import json
import re
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from tests.e2e.processes import CLI, PY, env
from tests.stack import free_port

ADDRESSES = {"a": "127.0.0.1", "b": "127.0.0.2"}
DNS_NAME = "cores.test"


class Pair:
    """Mock A, mock B, core A and core B as processes; a core can be killed and revived."""

    def __init__(self, tmp: Path, database_url: str, dns: str) -> None:
        self.tmp, self.database_url, self.dns = tmp, database_url, dns
        self.data = tmp / "data"  # shared by the cores and the CLI (the vault's key file)
        self.procs: dict[str, subprocess.Popen[str]] = {}
        self.mocks: dict[str, str] = {}
        self.port = free_port()
        self.token = ""

    # ---------------------------------------------------------------- processes

    def start(self, name: str, args: list[str]) -> None:
        log = open(self.tmp / f"{name}.log", "a")  # noqa: SIM115 - lives with the process
        self.procs[name] = subprocess.Popen(
            args, stdout=log, stderr=subprocess.STDOUT, text=True, env=env()
        )

    def logs(self) -> str:
        return "\n".join(
            f"--- {name}\n{(self.tmp / f'{name}.log').read_text()}" for name in self.procs
        )

    def wait_for(self, name: str, text: str, count: int = 1, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if (self.tmp / f"{name}.log").read_text().count(text) >= count:
                return
            if self.procs[name].poll() is not None:
                break
            time.sleep(0.1)
        pytest.fail(f"{name} did not print '{text}':\n{self.logs()}")

    def boot(self) -> None:
        for core in ADDRESSES:
            port = free_port()
            self.start(f"mock-{core}", [PY, "-m", "mock_provider", "--port", str(port)])
            self.mocks[core] = f"http://127.0.0.1:{port}"
            self.wait_for(f"mock-{core}", "listening")
        for core in ADDRESSES:  # one after the other: --demo makes a brand on first start
            self.revive(core)
        self.token = self.mint()

    def revive(self, core: str) -> None:
        """Start core ``core`` (again) and wait until it listens."""
        name = f"core-{core}"
        starts = 0
        if name in self.procs:
            if self.procs[name].poll() is None:
                return
            starts = (self.tmp / f"{name}.log").read_text().count("core (gRPC) on")
        self.start(
            name,
            [
                *CLI,
                *("serve", "core", "--demo", "--mock-url", self.mocks[core]),
                *("--database-url", self.database_url, "--data-dir", str(self.data)),
                *("--grpc-host", ADDRESSES[core], "--grpc-port", str(self.port)),
            ],
        )
        self.wait_for(name, "core (gRPC) on", count=starts + 1)

    def kill(self, core: str) -> None:
        proc = self.procs[f"core-{core}"]
        proc.kill()
        proc.wait(10)

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.kill()
                proc.wait(10)

    # ------------------------------------------------------------------- targets

    @property
    def ipv4_target(self) -> str:
        return "ipv4:" + ",".join(f"{ip}:{self.port}" for ip in ADDRESSES.values())

    @property
    def dns_target(self) -> str:
        return f"dns://{self.dns}/{DNS_NAME}:{self.port}"

    def target(self, kind: str) -> str:
        return self.ipv4_target if kind == "ipv4" else self.dns_target

    # ------------------------------------------------------------ the token, mocks

    def mint(self) -> str:
        def cli(*args: str) -> str:
            done = subprocess.run(
                [*CLI, *args, "--database-url", self.database_url, "--data-dir", str(self.data)],
                capture_output=True,
                text=True,
                env=env(),
                timeout=60,
            )
            assert done.returncode == 0, done.stderr
            return done.stdout

        assert re.search(r"client_id: cli_", cli("brand", "create", "balanced"))
        minted = cli("token", "mint", "--brand", "balanced", "--name", "agent")
        return minted.strip().splitlines()[-1]

    def reset_mocks(self, delay_ms_on_a: int = 0) -> None:
        """Forget what the mocks saw; mock A answers after ``delay_ms_on_a`` (so calls are
        in flight on core A when a test kills it)."""
        for url in self.mocks.values():
            httpx.post(url + "/__mock/reset", timeout=10).raise_for_status()
        if delay_ms_on_a:
            rule = {"kind": "delay", "delay_ms": delay_ms_on_a}
            httpx.post(self.mocks["a"] + "/__mock/faults", json=rule, timeout=10).raise_for_status()

    def served(self, prefix: str) -> dict[str, list[str]]:
        """Per core, the prompts starting with ``prefix`` its mock was asked, in order
        (a prompt listed twice, or under both cores, ran twice)."""
        found: dict[str, list[str]] = {}
        pattern = re.compile(re.escape(prefix) + r"-\d+")
        for core, url in self.mocks.items():
            answer = httpx.get(url + "/__mock/requests", params={"limit": 10_000}, timeout=10)
            records = answer.json()["requests"]
            found[core] = [
                m.group(0)
                for r in sorted(records, key=lambda r: r["seq"])
                for m in [pattern.search(json.dumps(r.get("body")))]
                if m
            ]
        return found
