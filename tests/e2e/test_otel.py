"""OpenTelemetry: a real gateway process exports its spans over OTLP (HTTP and gRPC) to
a real receiver started here, configured by nothing but the standard ``OTEL_*``
variables; and ``--log-format json`` lines carry the request and trace ids.

Spans for a chat, a failover and a stream (over REST, with the openai SDK) and a direct
gRPC call arrive as children of the caller's W3C ``traceparent``, with the GenAI semantic
conventions' attributes.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Iterator
from pathlib import Path

import grpc
import httpx
import openai
import pytest
from openai.types.chat import ChatCompletionMessageParam

from spidergate.v1 import chat_pb2, chat_pb2_grpc, common_pb2
from tests.e2e.processes import CLI, Procs, mint, wait_http
from tests.otlp_receiver import OtlpReceiver, ReceivedSpan
from tests.stack import free_port

SERVER, CLIENT = 2, 3  # opentelemetry.proto.trace.v1.Span.SpanKind
STATUS_ERROR = 2
TEXT_LOG_LINE = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ [A-Z]+ ")
STEPS = ("auth", "plan", "admission", "ledger write")


@pytest.fixture
def receiver() -> Iterator[OtlpReceiver]:
    r = OtlpReceiver()
    yield r
    r.stop()


def _traceparent() -> tuple[str, str, str]:
    trace_id, parent = secrets.token_hex(16), secrets.token_hex(8)
    return trace_id, parent, f"00-{trace_id}-{parent}-01"


def _request_spans(receiver: OtlpReceiver, trace_id: str) -> list[ReceivedSpan] | None:
    """The trace's spans once its request span and its ledger write have both arrived."""
    spans = receiver.trace(trace_id)
    names = {s.name for s in spans}
    if any(s.kind == SERVER for s in spans) and "ledger write" in names:
        return spans
    return None


def _root(spans: list[ReceivedSpan]) -> ReceivedSpan:
    (root,) = [s for s in spans if s.kind == SERVER]
    return root


def _check_tree(spans: list[ReceivedSpan], parent: str) -> ReceivedSpan:
    """One request span, child of the caller's span; every step a child of it, inside it."""
    root = _root(spans)
    assert root.parent_span_id == parent
    assert root.service_name == "gate-under-test"
    children = [s for s in spans if s is not root]
    assert {s.name for s in children} >= set(STEPS)
    for s in children:
        assert s.parent_span_id == root.span_id, s
        assert root.start_ns <= s.start_ns <= s.end_ns, s
    return root


def _attempts(spans: list[ReceivedSpan]) -> list[ReceivedSpan]:
    return sorted(
        (s for s in spans if s.kind == CLIENT), key=lambda s: s.attributes["spidergate.attempt"]
    )


@pytest.mark.parametrize("protocol", ["http/protobuf", "grpc"])
def test_spans_arrive_for_chat_failover_stream_and_grpc(
    procs: Procs,
    mock_url: str,
    tmp_path: Path,
    receiver: OtlpReceiver,
    monkeypatch: pytest.MonkeyPatch,
    protocol: str,
) -> None:
    endpoint = receiver.start_grpc() if protocol == "grpc" else receiver.start_http()
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint)
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_PROTOCOL", protocol)
    monkeypatch.setenv("OTEL_SERVICE_NAME", "gate-under-test")
    monkeypatch.setenv("OTEL_BSP_SCHEDULE_DELAY", "50")  # ms: export promptly
    data = tmp_path / "data"
    token = mint(data)
    http_port, grpc_port = free_port(), free_port()
    server = procs.start(
        [
            *CLI,
            "serve",
            "--demo",
            "--mock-url",
            mock_url,
            "--data-dir",
            str(data),
            "--port",
            str(http_port),
            "--grpc-port",
            str(grpc_port),
            "--log-format",
            "json",
            "--access-log",
            "--drain-delay",
            "0",
        ],
        "gateway",
    )
    base = f"http://127.0.0.1:{http_port}/api/gate/v1"
    try:
        wait_http(base + "/health")
    except TimeoutError:
        pytest.fail(procs.log("gateway"))
    client = openai.OpenAI(base_url=base, api_key=token, max_retries=0)
    messages: list[ChatCompletionMessageParam] = [{"role": "user", "content": "hello"}]

    # A chat: the request span is the caller's child, with the GenAI attributes.
    trace_id, parent, tp = _traceparent()
    reply = client.chat.completions.with_raw_response.create(
        model="spideriq/fast", messages=messages, extra_headers={"traceparent": tp}
    )
    request_id = reply.headers["x-request-id"]
    spans = receiver.wait(lambda r: _request_spans(r, trace_id))
    root = _check_tree(spans, parent)
    a = root.attributes
    assert root.name == "chat spideriq/fast"
    assert a["gen_ai.operation.name"] == "chat"
    assert a["gen_ai.request.model"] == "spideriq/fast"
    assert a["gen_ai.response.model"] == "llama-3.1-8b-instant"
    assert a["gen_ai.system"] == "groq"
    assert a["gen_ai.usage.input_tokens"] > 0 and a["gen_ai.usage.output_tokens"] > 0
    assert a["http.response.status_code"] == 200
    assert a["spidergate.request_id"] == request_id
    (attempt,) = _attempts(spans)
    assert attempt.name == "chat llama-3.1-8b-instant"
    assert attempt.attributes["gen_ai.system"] == "groq"
    assert attempt.attributes["gen_ai.response.model"] == "llama-3.1-8b-instant"
    assert attempt.attributes["http.response.status_code"] == 200

    # A failover: the first candidate answers 503 once, the second serves.
    httpx.post(
        mock_url + "/__mock/faults",
        json={
            "kind": "error",
            "status": 503,
            "times": 1,
            "match": {"model": "llama-3.1-8b-instant"},
        },
    ).raise_for_status()
    trace_id, parent, tp = _traceparent()
    client.chat.completions.create(
        model="spideriq/fast", messages=messages, extra_headers={"traceparent": tp}
    )
    spans = receiver.wait(lambda r: _request_spans(r, trace_id))
    root = _check_tree(spans, parent)
    failed, served = _attempts(spans)
    assert failed.attributes["gen_ai.request.model"] == "llama-3.1-8b-instant"
    assert failed.attributes["http.response.status_code"] == 503
    assert failed.attributes["error.type"] and failed.status_code == STATUS_ERROR
    assert served.attributes["gen_ai.system"] == "cerebras"
    assert served.attributes["gen_ai.response.model"] == root.attributes["gen_ai.response.model"]
    assert failed.end_ns <= served.start_ns
    assert root.attributes["spidergate.attempts"] == 2

    # A stream.
    trace_id, parent, tp = _traceparent()
    chunks = list(
        client.chat.completions.create(
            model="spideriq/fast",
            messages=messages,
            stream=True,
            stream_options={"include_usage": True},
            extra_headers={"traceparent": tp},
        )
    )
    assert chunks
    spans = receiver.wait(lambda r: _request_spans(r, trace_id))
    root = _check_tree(spans, parent)
    assert root.attributes["spidergate.streamed"] is True
    assert root.attributes["spidergate.ttft_ms"] >= 0
    assert root.attributes["gen_ai.usage.output_tokens"] > 0

    # A gRPC client's own traceparent metadata.
    trace_id, parent, tp = _traceparent()
    with grpc.insecure_channel(f"127.0.0.1:{grpc_port}") as channel:
        chat_pb2_grpc.ChatServiceStub(channel).CreateChatCompletion(
            chat_pb2.CreateChatCompletionRequest(
                request=common_pb2.ChatCompletionRequest(
                    model="spideriq/fast",
                    messages=[common_pb2.ChatMessage(role="user", text="hi")],
                )
            ),
            metadata=(("authorization", f"Bearer {token}"), ("traceparent", tp)),
            timeout=30,
        )
    spans = receiver.wait(lambda r: _request_spans(r, trace_id))
    _check_tree(spans, parent)

    # Without a traceparent a request starts a trace of its own.
    before = {s.trace_id for s in receiver.spans}
    client.chat.completions.create(model="spideriq/fast", messages=messages)
    fresh = receiver.wait(
        lambda r: [s for s in r.spans if s.kind == SERVER and s.trace_id not in before] or None
    )
    assert fresh[0].parent_span_id == ""

    # JSON logs: the access line of the first chat carries its request and trace ids.
    server.terminate()
    server.wait(30)
    # stdout has the human banner (addresses, the demo token); every log line is JSON.
    text = procs.log("gateway").splitlines()
    assert not [line for line in text if TEXT_LOG_LINE.match(line)]
    lines = [json.loads(line) for line in text if line.startswith("{")]
    access = [line for line in lines if line["logger"] == "spidergate.access"]
    first = next(line for line in access if line.get("request_id") == request_id)
    assert len(first["trace_id"]) == 32 and first["request"]["status"] == 200
    assert first["request"]["served_model"] == "llama-3.1-8b-instant"
    assert all({"time", "level", "logger", "message"} <= set(line) for line in lines)


def test_tracing_is_off_by_default_and_bad_settings_refuse_to_start(
    procs: Procs, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gate_service.telemetry.config import TelemetryConfigError, trace_export

    assert trace_export({}) is None
    assert trace_export({"OTEL_SERVICE_NAME": "x"}) is None
    assert trace_export({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://h:4318"}) is not None
    assert trace_export({"OTEL_TRACES_EXPORTER": "otlp"}) is not None
    assert (
        trace_export({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://h", "OTEL_SDK_DISABLED": "true"})
        is None
    )
    assert (
        trace_export({"OTEL_TRACES_EXPORTER": "none", "OTEL_EXPORTER_OTLP_ENDPOINT": "x"}) is None
    )
    for bad in (
        {"OTEL_TRACES_EXPORTER": "zipkin"},
        {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://h", "OTEL_EXPORTER_OTLP_PROTOCOL": "http/json"},
    ):
        with pytest.raises(TelemetryConfigError):
            trace_export(bad)

    monkeypatch.setenv("OTEL_TRACES_EXPORTER", "zipkin")
    proc = procs.start([*CLI, "serve", "--data-dir", str(tmp_path / "d")], "refused")
    assert proc.wait(60) == 2
    assert "only 'otlp'" in procs.log("refused")
