"""The mock provider and the three gateways the benchmark drives.

Each :class:`~system.System` knows how to start itself (pinned to the gateway core), what an
authenticated chat-completion request to it looks like, and how to stop. All of them talk
to the same mock provider.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shlex
import sys
from pathlib import Path

from grpc_load import GrpcTarget
from harness import (
    DRIVER_CORE,
    GATEWAY_CORE,
    BenchError,
    Managed,
    ProcessRegistry,
    free_port,
    json_body,
    pinned,
    run_quiet,
    wait_for_http,
    wait_for_log_line,
)
from system import (
    MODEL,
    SURFACES,
    UPSTREAM_MODEL,
    Context,
    System,
    chat_payload,
    grpc_chat_target,
)
from wrk import Target

BENCH_DIR = Path(__file__).resolve().parent
REPO_DIR = BENCH_DIR.parent
CACHE_DIR = BENCH_DIR / ".cache"
LITELLM_VENV = CACHE_DIR / "litellm-venv"
PORTKEY_DIR = CACHE_DIR / "portkey"
PORTKEY_PACKAGE = PORTKEY_DIR / "node_modules" / "@portkey-ai" / "gateway"


# --------------------------------------------------------------------------- mock


class MockProvider:
    """The colleague's OpenAI-format fake LLM (``python -m mock_provider``), on core 1."""

    def __init__(self, command: str | None = None) -> None:
        self.command = command
        self.url = ""
        self.proc: Managed | None = None

    def start(self, registry: ProcessRegistry, timeout: float) -> str:
        port = free_port()
        if self.command:
            base = shlex.split(self.command)
        else:
            base = [sys.executable, "-m", "mock_provider"]
        argv = pinned(DRIVER_CORE, [*base, "--host", "127.0.0.1", "--port", str(port)])
        self.proc = registry.start("mock_provider", argv, cwd=REPO_DIR)
        match = wait_for_log_line(
            self.proc, r"mock provider listening on (http://[0-9.]+:\d+)", timeout
        )
        self.url = match.group(1)
        return self.url


# --------------------------------------------------------------------------- mock direct


class MockDirect(System):
    """No gateway: wrk straight at the mock. The ceiling of the harness itself."""

    key = "mock"
    label = "mock (direct)"
    core = DRIVER_CORE

    def start(self, ctx: Context) -> None:
        self.base_url = ctx.mock_url

    def stop(self, ctx: Context) -> None:
        """Nothing to stop: the mock outlives every system."""

    def target(self, stream: bool) -> Target:
        return Target(
            url=f"{self.base_url}/v1/chat/completions",
            body=json_body(chat_payload(UPSTREAM_MODEL, stream)),
            headers={"Content-Type": "application/json", "Authorization": "Bearer dummy"},
        )


# --------------------------------------------------------------------------- SpiderGate


class SpiderGate(System):
    """This project: ``spidergate serve --demo --mock-url ...`` with a minted agent token.

    ``workers`` above 1 runs ``serve --workers N`` pinned to cores 0..N-1 (as many as the
    machine has): N processes need N cores, so on a 2-core machine the gateway's second
    worker shares core 1 with the mock and wrk. What that costs is measured, not hidden:
    the bench's ratio is then a lower bound of how the workers scale.
    """

    key = "spidergate"
    label = "SpiderGate"

    def __init__(self, workers: int = 1) -> None:
        super().__init__()
        self.token = ""
        self.workers = workers
        if workers > 1:
            cores = min(workers, len(os.sched_getaffinity(0)))
            self.core = ",".join(str(i) for i in range(cores))
            self.label = f"SpiderGate ({workers} workers)"
        self.grpc_port = 0

    @staticmethod
    def command() -> list[str]:
        script = Path(sys.executable).with_name("spidergate")
        if script.exists():
            return [str(script)]
        return [sys.executable, "-m", "gate_service.cli.main"]

    def version(self) -> str:
        try:
            head = run_quiet(["git", "-C", str(REPO_DIR), "rev-parse", "--short", "HEAD"])
        except BenchError:
            return "working tree"
        return f"git {head.stdout.strip()} (+ working tree)"

    def start(self, ctx: Context) -> None:
        data_dir = ctx.work_dir / "spidergate-data"
        data_dir.mkdir(parents=True, exist_ok=True)
        cli = self.command()
        common = ["--data-dir", str(data_dir)]
        env = {"PYTHONUNBUFFERED": "1"}
        run_quiet([*cli, "brand", "create", "bench", *common], env=env)
        minted = run_quiet(
            [*cli, "token", "mint", "--brand", "bench", "--name", "bench", *common], env=env
        )
        lines = [line.strip() for line in minted.stdout.splitlines() if line.strip()]
        if not lines:
            raise BenchError("spidergate token mint printed no token")
        self.token = lines[-1]
        port = free_port()
        self.grpc_port = grpc_port = free_port()
        argv = pinned(
            self.core,
            [
                *cli,
                "serve",
                "--demo",
                "--mock-url",
                ctx.mock_url,
                *common,
                "--port",
                str(port),
                "--grpc-port",
                str(grpc_port),
                # No balancer in front to drain for: stop at SIGTERM (the registry's stop
                # waits 5 s before SIGKILL).
                "--drain-delay",
                "0",
                "--workers",
                str(self.workers),
            ],
        )
        self.base_url = f"http://127.0.0.1:{port}"
        self.proc = ctx.registry.start("spidergate", argv, cwd=REPO_DIR, env=env)
        if self.workers > 1:  # /health answers from the first worker already
            wait_for_log_line(self.proc, r"\d+ workers serving", ctx.startup_timeout)
        # Time to ready: from the process's start to /health, all workers serving.
        self.ready_s = wait_for_http(
            f"{self.base_url}/api/gate/v1/health", self.proc, ctx.startup_timeout
        )

    def target(self, stream: bool) -> Target:
        return Target(
            url=f"{self.base_url}/api/gate/v1/chat/completions",
            body=json_body(chat_payload(MODEL, stream)),
            headers={
                "Content-Type": "application/json",
                "Authorization": f"Bearer {self.token}",
            },
        )

    def grpc_target(self, stream: bool) -> GrpcTarget:
        """ChatService / StreamService on the gRPC port of the same ``serve`` process."""
        return grpc_chat_target(f"127.0.0.1:{self.grpc_port}", self.token, MODEL, stream)

    def surface_target(self, mode: str) -> Target:
        surface = SURFACES[mode]
        return Target(
            url=f"{self.base_url}/api/gate{surface.path}"
            if surface.path.startswith("/v1/")
            else f"{self.base_url}/api/gate/v1{surface.path}",
            body=json_body(surface.payload),
            headers={
                "Content-Type": "application/json",
                "Authorization": f"Bearer {self.token}",
            },
        )


# --------------------------------------------------------------------------- LiteLLM


class LiteLLM(System):
    """LiteLLM's proxy (PyPI ``litellm[proxy]``): one uvicorn worker, master key, no DB."""

    key = "litellm"
    label = "LiteLLM"

    def __init__(self) -> None:
        super().__init__()
        self.master_key = "sk-bench-" + secrets.token_hex(8)

    def version(self) -> str:
        for info in LITELLM_VENV.glob("lib/python*/site-packages/litellm-*.dist-info"):
            match = re.match(r"litellm-([^-]+)\.dist-info", info.name)
            if match:
                return match.group(1)
        return ""

    def start(self, ctx: Context) -> None:
        litellm = LITELLM_VENV / "bin" / "litellm"
        if not litellm.exists():
            raise BenchError(
                f"LiteLLM is not installed ({litellm}); run bench/setup_competitors.sh"
            )
        workdir = ctx.work_dir / "litellm"
        workdir.mkdir(parents=True, exist_ok=True)
        config = workdir / "config.yaml"
        # JSON is valid YAML; no yaml dependency needed to write it.
        config.write_text(
            json.dumps(
                {
                    "model_list": [
                        {
                            "model_name": MODEL,
                            "litellm_params": {
                                "model": f"openai/{UPSTREAM_MODEL}",
                                "api_base": f"{ctx.mock_url}/v1",
                                "api_key": "dummy",
                            },
                        }
                    ],
                    "general_settings": {"master_key": self.master_key},
                    # As in LiteLLM's own benchmark config: no callbacks, no retries.
                    "litellm_settings": {
                        "telemetry": False,
                        "set_verbose": False,
                        "callbacks": [],
                        "num_retries": 0,
                    },
                },
                indent=2,
            )
        )
        # Access logs off (as for every system): one log line per request is not the
        # gateway's work, and LiteLLM's default uvicorn config would print one.
        log_config = workdir / "log_config.json"
        log_config.write_text(json.dumps(_quiet_uvicorn_logging(), indent=2))
        port = free_port()
        env = {
            "LITELLM_TELEMETRY": "False",
            "LITELLM_LOCAL_MODEL_COST_MAP": "True",  # no fetch from GitHub at start-up
            "LITELLM_LOG": "ERROR",
            "LITELLM_MODE": "PRODUCTION",  # do not read a .env file
            "DISABLE_ADMIN_UI": "True",
            "NO_DOCS": "True",
            "NO_REDOC": "True",
            "STORE_MODEL_IN_DB": "False",
        }
        argv = pinned(
            GATEWAY_CORE,
            [
                str(litellm),
                "--config",
                str(config),
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--num_workers",
                "1",
                "--log_config",
                str(log_config),
            ],
        )
        self.base_url = f"http://127.0.0.1:{port}"
        self.proc = ctx.registry.start(
            "litellm",
            argv,
            cwd=workdir,
            env=env,
            # No database, no cache server: LiteLLM runs in its DB-less mode.
            unset=("DATABASE_URL", "DIRECT_URL", "REDIS_HOST", "REDIS_URL", "REDIS_PORT"),
        )
        self.ready_s = wait_for_http(
            f"{self.base_url}/health/liveliness", self.proc, ctx.startup_timeout
        )

    def target(self, stream: bool) -> Target:
        return Target(
            url=f"{self.base_url}/v1/chat/completions",
            body=json_body(chat_payload(MODEL, stream)),
            headers={
                "Content-Type": "application/json",
                "Authorization": f"Bearer {self.master_key}",
            },
        )


def _quiet_uvicorn_logging() -> dict[str, object]:
    """A logging dictConfig: warnings and errors to stderr, no per-request access log."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "formatter": "plain",
                "stream": "ext://sys.stderr",
            }
        },
        "root": {"level": "WARNING", "handlers": ["stderr"]},
        "loggers": {
            "uvicorn": {"level": "INFO", "handlers": ["stderr"], "propagate": False},
            "uvicorn.error": {"level": "INFO", "handlers": ["stderr"], "propagate": False},
            "uvicorn.access": {"level": "WARNING", "handlers": [], "propagate": False},
        },
    }


# --------------------------------------------------------------------------- Portkey


class Portkey(System):
    """Portkey's open-source gateway (npm ``@portkey-ai/gateway``), one node process."""

    key = "portkey"
    label = "Portkey"

    def __init__(self) -> None:
        super().__init__()
        self.mock_url = ""

    def version(self) -> str:
        versions = []
        for package in (PORTKEY_PACKAGE, PORTKEY_DIR / "node_modules" / "@hono" / "node-server"):
            try:
                versions.append(str(json.loads((package / "package.json").read_text())["version"]))
            except (OSError, ValueError, KeyError):
                versions.append("?")
        return f"{versions[0]} (@hono/node-server {versions[1]})"

    def entry_point(self) -> Path:
        try:
            package = json.loads((PORTKEY_PACKAGE / "package.json").read_text())
        except (OSError, ValueError) as exc:
            raise BenchError(
                f"Portkey is not installed ({PORTKEY_PACKAGE}); run bench/setup_competitors.sh"
            ) from exc
        binary = package.get("bin", "build/start-server.js")
        if isinstance(binary, dict):
            binary = next(iter(binary.values()))
        return PORTKEY_PACKAGE / str(binary)

    def start(self, ctx: Context) -> None:
        entry = self.entry_point()
        self.mock_url = ctx.mock_url
        port = free_port()
        argv = pinned(GATEWAY_CORE, ["node", str(entry), f"--port={port}", "--headless"])
        env = {
            "NODE_ENV": "production",
            # 127.0.0.1 is trusted by default; say so explicitly in case the default changes.
            "TRUSTED_CUSTOM_HOSTS": "127.0.0.1,localhost",
        }
        self.base_url = f"http://127.0.0.1:{port}"
        self.proc = ctx.registry.start("portkey", argv, cwd=PORTKEY_DIR, env=env)
        self.ready_s = wait_for_http(f"{self.base_url}/", self.proc, ctx.startup_timeout)

    def target(self, stream: bool) -> Target:
        return Target(
            url=f"{self.base_url}/v1/chat/completions",
            body=json_body(chat_payload(UPSTREAM_MODEL, stream)),
            headers={
                "Content-Type": "application/json",
                "Authorization": "Bearer dummy",
                "x-portkey-provider": "openai",
                "x-portkey-custom-host": f"{self.mock_url}/v1",
            },
        )


SYSTEMS: dict[str, type[System]] = {
    cls.key: cls for cls in (SpiderGate, LiteLLM, Portkey, MockDirect)
}
