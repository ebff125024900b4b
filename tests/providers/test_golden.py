"""Golden fixtures: each JSON file under ``fixtures/<adapter>/`` holds cases of one kind
(request, response, stream or error) with their input and the exact expected output.

To re-record after an intended change: ``SPIDERGATE_UPDATE_GOLDEN=1 pytest
tests/providers/test_golden.py`` — then review the diff of the fixtures like code.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest

from gate_service.domain.openai_json import chunk_to_json, completion_to_json
from gate_service.providers.base import UpstreamFailure, WireAdapter
from tests.domain.build import chat_request
from tests.providers.support import adapter, reassemble, target

FIXTURES = Path(__file__).parent / "fixtures"
UPDATE = os.environ.get("SPIDERGATE_UPDATE_GOLDEN") == "1"


def _files() -> list[Any]:
    return [
        pytest.param(path, id=f"{path.parent.name}/{path.stem}")
        for path in sorted(FIXTURES.glob("*/*.json"))
    ]


def _failure(exc: UpstreamFailure) -> dict[str, Any]:
    return {
        "kind": exc.kind.value,
        "status": exc.status,
        "message": exc.message,
        "retry_after_s": exc.retry_after_s,
    }


def _request(wire: WireAdapter, case: dict[str, Any]) -> dict[str, Any]:
    target_ = target(wire.name, case["model"])
    try:
        req = wire.build_request(
            target_, chat_request(case["request"]), stream=case.get("stream", False)
        )
    except UpstreamFailure as exc:
        return {"error": _failure(exc)}
    return {"url": req.url, "headers": req.headers, "body": orjson.loads(req.body)}


def _response(wire: WireAdapter, case: dict[str, Any]) -> dict[str, Any]:
    try:
        answer = wire.parse_response(
            target(wire.name, case["model"]), orjson.dumps(case["response"])
        )
        return completion_to_json(answer)
    except UpstreamFailure as exc:
        return {"error": _failure(exc)}


def _stream(wire: WireAdapter, case: dict[str, Any]) -> dict[str, Any]:
    decoder = wire.stream_decoder(target(wire.name, case["model"]))
    chunks: list[dict[str, Any]] = []
    error = None
    try:
        for event in case["events"]:
            data = event.encode() if isinstance(event, str) else orjson.dumps(event)
            chunks.extend(chunk_to_json(c) for c in decoder.feed(data))
    except UpstreamFailure as exc:
        error = _failure(exc)
    out = {"chunks": chunks, "done": decoder.done, "error": error}
    if error is None:
        out["reassembled"] = reassemble(chunks)
    return out


def _error(wire: WireAdapter, case: dict[str, Any]) -> dict[str, Any]:
    body = case["body"]
    raw = body.encode() if isinstance(body, str) else orjson.dumps(body)
    return _failure(wire.classify_error(case["status"], case.get("headers", {}), raw))


RUNNERS: dict[str, Callable[[WireAdapter, dict[str, Any]], Any]] = {
    "request": _request,
    "response": _response,
    "stream": _stream,
    "error": _error,
}


@pytest.mark.parametrize("path", _files())
def test_golden(path: Path) -> None:
    fixture = orjson.loads(path.read_bytes())
    wire = adapter(path.parent.name)
    run = RUNNERS[fixture["kind"]]
    changed = False
    for case in fixture["cases"]:
        actual = run(wire, case)
        if UPDATE:
            changed |= case.get("expected") != actual
            case["expected"] = actual
            continue
        assert actual == case["expected"], f"{path.name}: case {case['name']!r}"
    if UPDATE and changed:
        path.write_bytes(orjson.dumps(fixture, option=orjson.OPT_INDENT_2) + b"\n")


def test_every_format_has_every_kind() -> None:
    for fmt in ("anthropic", "gemini"):
        kinds = {orjson.loads(p.read_bytes())["kind"] for p in (FIXTURES / fmt).glob("*.json")}
        assert kinds == set(RUNNERS), fmt
