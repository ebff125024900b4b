"""The client CLI (``spidergate chat|models|aliases|usage|traces``) against a real gateway
and the mock provider: a streamed chat printed as it arrives (a real subprocess, timed
against the mock's pacing), and the listings in their human and ``--json`` forms (run
in-process through ``main(argv)``)."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from gate_service.cli.main import main
from tests.stack import Stack, make_settings

REPO = Path(__file__).resolve().parents[2]
CLI = (sys.executable, "-m", "gate_service.cli.main")


@pytest.fixture(scope="module")
def cstack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """A gateway of this module's own: its mock gets pacing faults."""
    settings = make_settings(Path(tmp_path_factory.mktemp("client-cli-gateway")))
    s = Stack(dataclasses.replace(settings, operator_token="")).start(demo=True)
    yield s
    s.stop()


@pytest.fixture(scope="module")
def brand(cstack: Stack) -> tuple[str, str]:
    """(agent token, brand credential)."""
    view, credential = cstack.core.identity.create_brand("cli-client")
    agent = str(cstack.core.identity.mint_token(view.client_id, "cli-agent", None)[1])
    return agent, credential


def url(stack: Stack) -> str:
    return f"http://127.0.0.1:{stack.http_port}"


def run(
    capsys: pytest.CaptureFixture[str], stack: Stack, token: str, *args: str
) -> tuple[int, str, str]:
    status = main([*args, "--url", url(stack), "--token", token])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_chat_streams_as_it_arrives(cstack: Stack, brand: tuple[str, str]) -> None:
    # 12 words paced 250 ms apart: printed as they arrive, the first word is on the
    # terminal seconds before the last; a client that buffered would print all at once.
    rule = {"kind": "slow_stream", "chunk_delay_ms": 250, "match": {"model": "gpt-4o"}}
    httpx.post(cstack.mock.url + "/__mock/faults", json=rule).raise_for_status()
    env = {**os.environ, "SPIDERGATE_URL": url(cstack), "SPIDERGATE_TOKEN": brand[0]}
    try:
        proc = subprocess.Popen(
            [*CLI, "chat", "-m", "gpt-4o", "[mock:words=12] go"],
            cwd=REPO,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        assert proc.stdout is not None
        arrivals: list[tuple[float, bytes]] = []
        while data := os.read(proc.stdout.fileno(), 4096):
            arrivals.append((time.monotonic(), data))
        assert proc.wait(60) == 0
        stderr = proc.stderr.read().decode() if proc.stderr else ""
    finally:
        httpx.delete(cstack.mock.url + "/__mock/faults")
    text = b"".join(data for _, data in arrivals).decode()
    assert len(text.split()) >= 12
    assert len(arrivals) >= 4, arrivals
    assert arrivals[-1][0] - arrivals[0][0] > 1.5
    assert "[model gpt-4o" in stderr and "trace " in stderr


def test_chat_no_stream_prints_the_summary(
    capsys: pytest.CaptureFixture[str], cstack: Stack, brand: tuple[str, str]
) -> None:
    status, out, err = run(capsys, cstack, brand[0], "chat", "--no-stream", "hello there")
    assert status == 0
    assert "hello there" in out
    assert "via " in err and "cost $" in err and "trace " in err
    status, out, _ = run(
        capsys, cstack, brand[0], "chat", "--no-stream", "--json", "-m", "spideriq/fast", "hi"
    )
    answer = json.loads(out)
    assert answer["object"] == "chat.completion"
    assert answer["spidergate_metadata"]["requested_model"] == "spideriq/fast"


def test_chat_json_stream_is_one_chunk_per_line(
    capsys: pytest.CaptureFixture[str], cstack: Stack, brand: tuple[str, str]
) -> None:
    status, out, _ = run(capsys, cstack, brand[0], "chat", "--json", "[mock:words=5] go")
    chunks = [json.loads(line) for line in out.splitlines()]
    assert status == 0 and len(chunks) >= 5
    assert all(c["object"] == "chat.completion.chunk" for c in chunks)


def test_models_and_aliases(
    capsys: pytest.CaptureFixture[str], cstack: Stack, brand: tuple[str, str]
) -> None:
    status, out, _ = run(
        capsys, cstack, brand[0], "models", "--kind", "model", "--search", "gpt-4o"
    )
    assert status == 0
    lines = out.splitlines()
    assert lines[0].split()[:3] == ["ID", "KIND", "PROVIDER"]
    assert any(line.split()[:3] == ["openai/gpt-4o", "model", "openai"] for line in lines)
    status, out, _ = run(capsys, cstack, brand[0], "models", "--json", "--kind", "alias")
    assert {m["spidergate_info"]["kind"] for m in json.loads(out)["data"]} == {"alias"}
    status, out, _ = run(capsys, cstack, brand[0], "aliases")
    assert status == 0 and any(line.startswith("spideriq/fast ") for line in out.splitlines())


def test_usage_and_traces(
    capsys: pytest.CaptureFixture[str], cstack: Stack, brand: tuple[str, str]
) -> None:
    agent, credential = brand
    run(capsys, cstack, agent, "chat", "--no-stream", "-m", "spideriq/fast", "for the ledger")
    assert cstack.run(cstack.core.ledger.flush())
    status, out, _ = run(capsys, cstack, credential, "usage", "--json")
    usage: dict[str, Any] = json.loads(out)
    assert status == 0 and usage["object"] == "usage" and usage["totals"]["requests"] >= 1
    status, out, _ = run(capsys, cstack, credential, "usage")
    assert status == 0 and out.startswith("window ") and "requests " in out

    status, out, _ = run(capsys, cstack, agent, "traces", "list", "--json", "--limit", "50")
    traces = json.loads(out)["data"]
    assert status == 0 and traces and {t["agent"] for t in traces} == {"cli-agent"}
    status, out, _ = run(capsys, cstack, agent, "traces", "list")
    assert out.splitlines()[0].split()[:3] == ["ID", "CREATED", "AGENT"]
    assert traces[0]["id"] in out

    status, out, _ = run(capsys, cstack, agent, "traces", "show", traces[0]["id"])
    assert status == 0 and out.startswith(f"id                     {traces[0]['id']}")
    status, out, _ = run(capsys, cstack, agent, "traces", "stats", "--json")
    assert json.loads(out)["count"] == len(traces)


def test_a_refusal_is_the_apis_code(
    capsys: pytest.CaptureFixture[str], cstack: Stack, brand: tuple[str, str]
) -> None:
    status, _, err = run(capsys, cstack, brand[0], "traces", "show", "no-such-trace")
    assert status == 1 and err.startswith("error: not_found (404): ")
    status, out, err = run(capsys, cstack, "spideriq_pat_" + "0" * 32, "usage", "--json")
    assert status == 1 and "invalid_api_key (401)" in err
    assert json.loads(out)["error"]["code"] == "invalid_api_key"
    status = main(["models", "--url", "http://127.0.0.1:1", "--token", brand[0]])
    assert status == 1 and "cannot reach the gateway" in capsys.readouterr().err
