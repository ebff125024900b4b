"""Content capture for traces over the real stack, with the official OpenAI SDK through the
mock provider: off by default (nothing stored), on for a brand (stored and returned by
``GET /traces/{id}`` and gRPC ``GetTrace``), a token's override both ways, secrets
redacted, messages cut to the brand's cap, streamed answers assembled, another brand's
trace a 404, and retention purged."""

from __future__ import annotations

import itertools
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import grpc
import httpx
import orjson
import pytest
from openai import OpenAI
from sqlalchemy import func, select

from gate_service.auth.principal import TokenControls
from gate_service.capture.purge import purge_expired
from gate_service.capture.store import CONTENT
from gate_service.ledger import codec, journal_root
from spidergate.v1 import usage_pb2, usage_pb2_grpc
from tests.stack import Stack

_names = itertools.count()

OPENAI_KEY = "sk-proj-" + "A1b2C3d4E5f6G7h8I9j0" * 2
AGENT_TOKEN = "spideriq_pat_" + "0123456789abcdef" * 2
GOOGLE_KEY = "AIza" + "SyD" + "x" * 32


def _brand(stack: Stack, **capture: Any) -> tuple[str, str]:
    """A fresh brand (client_id, credential), its capture set as given."""
    view, credential = stack.core.identity.create_brand(f"capture-{next(_names)}")
    if capture:
        stack.core.identity.set_brand_capture(view.client_id, **capture)
    return view.client_id, credential


def _token(stack: Stack, client_id: str, capture: bool | None = None) -> str:
    controls = TokenControls(capture=capture)
    return str(stack.core.identity.mint_token(client_id, f"a{next(_names)}", None, controls)[1])


def _chat(stack: Stack, token: str, text: str, **kw: Any) -> str:
    """One chat through the SDK; the trace id (X-Request-Id)."""
    client = OpenAI(base_url=stack.base_url, api_key=token)
    raw = client.chat.completions.with_raw_response.create(
        model="gpt-4o", messages=[{"role": "user", "content": text}], **kw
    )
    raw.parse()
    return str(raw.headers["x-request-id"])


def _trace(stack: Stack, token: str, trace_id: str) -> httpx.Response:
    assert stack.run(stack.core.ledger.flush())
    return httpx.get(
        f"{stack.base_url}/traces/{trace_id}",
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )


def _stored(stack: Stack, trace_id: str) -> int:
    with stack.core.db.engine.connect() as conn:
        return int(
            conn.execute(
                select(func.count()).select_from(CONTENT).where(CONTENT.c.id == trace_id)
            ).scalar_one()
        )


def test_off_by_default_nothing_is_stored(stack: Stack) -> None:
    client_id, credential = _brand(stack)
    trace_id = _chat(stack, _token(stack, client_id), "hello there")
    body = _trace(stack, credential, trace_id).json()
    assert body["captured"] is False
    assert body["input_messages"] == [] and body["output_messages"] == []
    assert _stored(stack, trace_id) == 0


def test_on_for_a_brand_the_messages_are_stored_and_returned(stack: Stack) -> None:
    client_id, credential = _brand(stack, enabled=True)
    token = _token(stack, client_id)
    client = OpenAI(base_url=stack.base_url, api_key=token)
    raw = client.chat.completions.with_raw_response.create(
        model="gpt-4o",
        messages=[
            {"role": "system", "content": "be brief"},
            {"role": "user", "content": "tell me about otters"},
        ],
    )
    answer = raw.parse().choices[0].message.content
    trace_id = raw.headers["x-request-id"]
    body = _trace(stack, token, trace_id).json()
    assert body["captured"] is True and _stored(stack, trace_id) == 1
    assert [(m["role"], m["content"]) for m in body["input_messages"]] == [
        ("system", "be brief"),
        ("user", "tell me about otters"),
    ]
    assert [(m["role"], m["content"]) for m in body["output_messages"]] == [("assistant", answer)]
    assert body["input_truncated"] is False and body["output_truncated"] is False
    # The brand credential sees its agent's trace, with the same content.
    assert _trace(stack, credential, trace_id).json()["input_messages"] == body["input_messages"]


def test_a_token_override_wins_over_the_brand(stack: Stack) -> None:
    off_brand, off_credential = _brand(stack)
    forced_on = _chat(stack, _token(stack, off_brand, capture=True), "override on")
    on_brand, on_credential = _brand(stack, enabled=True)
    forced_off = _chat(stack, _token(stack, on_brand, capture=False), "override off")
    inherits = _chat(stack, _token(stack, on_brand), "follows the brand")
    assert _trace(stack, off_credential, forced_on).json()["captured"] is True
    assert _trace(stack, on_credential, forced_off).json()["captured"] is False
    assert _trace(stack, on_credential, inherits).json()["captured"] is True
    assert _stored(stack, forced_off) == 0


def test_secrets_are_redacted_before_storage(stack: Stack) -> None:
    client_id, credential = _brand(stack, enabled=True)
    text = (
        f"{OPENAI_KEY} {AGENT_TOKEN} {GOOGLE_KEY} Authorization: Bearer abcdefghijklmnop "
        f"and {credential} sk-ant-api03-{'z' * 24} gsk_{'Q' * 40}"
    )
    trace_id = _chat(stack, _token(stack, client_id), text)
    response = _trace(stack, credential, trace_id)
    with stack.core.db.engine.connect() as conn:
        row = conn.execute(select(CONTENT).where(CONTENT.c.id == trace_id)).one()
    stored = f"{row.input_messages} {row.output_messages}"
    for secret in (OPENAI_KEY, AGENT_TOKEN, GOOGLE_KEY, "abcdefghijklmnop", credential):
        assert secret not in stored and secret not in response.text
    assert "z" * 24 not in stored and "Q" * 40 not in stored
    said = response.json()["input_messages"][0]["content"]
    for kind in ("openai_key", "agent_token", "google_key", "bearer", "client_credential"):
        assert f"[REDACTED:{kind}]" in said
    assert "[REDACTED:anthropic_key]" in said and "[REDACTED:groq_key]" in said


def test_the_size_cap_cuts_each_message_and_says_so(stack: Stack) -> None:
    client_id, credential = _brand(stack, enabled=True, max_chars=256)
    long_text = "word " * 1000
    trace_id = _chat(stack, _token(stack, client_id), long_text)
    body = _trace(stack, credential, trace_id).json()
    content = body["input_messages"][0]["content"]
    assert body["input_truncated"] is True and body["output_truncated"] is False
    assert content.endswith(f"…[truncated from {len(long_text)} chars]")
    assert len(content) < 256 + 40
    assert content.startswith("word word")


def test_a_streamed_answer_is_assembled(stack: Stack) -> None:
    client_id, credential = _brand(stack, enabled=True)
    token = _token(stack, client_id)
    client = OpenAI(base_url=stack.base_url, api_key=token)
    raw = client.chat.completions.with_raw_response.create(
        model="gpt-4o", messages=[{"role": "user", "content": "stream to me"}], stream=True
    )
    pieces = [c.choices[0].delta.content or "" for c in raw.parse() if c.choices]
    trace_id = raw.headers["x-request-id"]
    body = _trace(stack, credential, trace_id).json()
    assert body["streamed"] is True and body["captured"] is True
    assert len(pieces) > 2  # really streamed in pieces
    assert body["output_messages"] == [{"role": "assistant", "content": "".join(pieces)}]


def test_another_brand_gets_404_and_grpc_returns_the_same(stack: Stack) -> None:
    client_id, _ = _brand(stack, enabled=True)
    token = _token(stack, client_id)
    trace_id = _chat(stack, token, "private words")
    _, stranger = _brand(stack, enabled=True)
    answer = _trace(stack, stranger, trace_id)
    assert answer.status_code == 404 and "private words" not in answer.text
    rest = _trace(stack, token, trace_id).json()
    with grpc.insecure_channel(stack.grpc_target) as channel:
        stub = usage_pb2_grpc.UsageServiceStub(channel)
        got = stub.GetTrace(
            usage_pb2.GetTraceRequest(trace_id=trace_id),
            metadata=(("authorization", f"Bearer {token}"),),
            timeout=10,
        )
        assert got.content.captured
        assert orjson.loads(got.content.input_messages_json) == rest["input_messages"]
        assert orjson.loads(got.content.output_messages_json) == rest["output_messages"]
        try:
            stub.GetTrace(
                usage_pb2.GetTraceRequest(trace_id=trace_id),
                metadata=(("authorization", f"Bearer {stranger}"),),
                timeout=10,
            )
        except grpc.RpcError as exc:
            assert exc.code() == grpc.StatusCode.NOT_FOUND
        else:
            raise AssertionError("another brand read the trace over gRPC")


def test_retention_purge_deletes_only_what_expired(stack: Stack) -> None:
    short_brand, short_credential = _brand(stack, enabled=True, retention_days=1)
    long_brand, long_credential = _brand(stack, enabled=True, retention_days=30)
    short_token = _token(stack, short_brand)
    short = [_chat(stack, short_token, f"short lived {i}") for i in range(3)]
    kept = _chat(stack, _token(stack, long_brand), "long lived")
    assert _trace(stack, short_credential, short[0]).json()["captured"] is True
    # Nothing has expired yet: a purge now deletes none of them.
    stack.call(purge_expired, stack.core.db, datetime.now(UTC))
    assert all(_stored(stack, i) == 1 for i in [*short, kept])
    # Two days on, in batches of one row per transaction: the three short-lived go.
    in_two_days = datetime.now(UTC) + timedelta(days=2)
    assert stack.call(lambda: purge_expired(stack.core.db, in_two_days, batch=1)) == 3
    assert all(_stored(stack, i) == 0 for i in short) and _stored(stack, kept) == 1
    after = _trace(stack, short_credential, short[0]).json()
    assert after["captured"] is False and after["status"] == 200  # the metadata stays
    assert _trace(stack, long_credential, kept).json()["captured"] is True


def test_the_trace_has_the_span_waterfall(stack: Stack) -> None:
    """auth → plan → admission → each attempt (provider, masked key, status, latency) →
    ledger, each starting where the one before ended, capture on or off."""
    client_id, credential = _brand(stack)
    token = _token(stack, client_id)
    trace_id = _chat(stack, token, "waterfall")
    body = _trace(stack, credential, trace_id).json()
    spans = body["spans"]
    assert [s["name"] for s in spans] == ["auth", "plan", "admission", "attempt", "ledger"]
    auth, plan, admission, attempt, ledger = spans
    assert auth["start_ms"] == 0 and all(s["duration_ms"] >= 0 for s in spans)
    for before, after in itertools.pairwise(spans[:4]):
        assert after["start_ms"] == pytest.approx(before["start_ms"] + before["duration_ms"])
    (tried,) = body["attempts"]
    assert attempt["provider"] == tried["provider"] == body["provider"]
    assert attempt["key"] == tried["key"] == body["key_preview"] and "…" in attempt["key"]
    assert (attempt["status"], attempt["outcome"]) == (200, "success")
    assert attempt["duration_ms"] == tried["latency_ms"] > 0
    assert ledger["start_ms"] == pytest.approx(auth["duration_ms"] + body["latency_ms"])
    assert ledger["start_ms"] >= attempt["start_ms"] + attempt["duration_ms"]
    assert (body["auth_ms"], body["plan_ms"], body["admission_ms"]) == (
        auth["duration_ms"],
        plan["duration_ms"],
        admission["duration_ms"],
    )
    with grpc.insecure_channel(stack.grpc_target) as channel:
        got = usage_pb2_grpc.UsageServiceStub(channel).GetTrace(
            usage_pb2.GetTraceRequest(trace_id=trace_id),
            metadata=(("authorization", f"Bearer {token}"),),
            timeout=10,
        )
    assert [(s.name, s.start_ms, s.duration_ms) for s in got.spans] == [
        (s["name"], s["start_ms"], s["duration_ms"]) for s in spans
    ]


def test_the_chat_kinds_are_captured_too(stack: Stack) -> None:
    """A Responses API call and a legacy completion are chat underneath: captured as such,
    under their own kind, the Responses stream assembled."""
    client_id, credential = _brand(stack, enabled=True)
    client = OpenAI(base_url=stack.base_url, api_key=_token(stack, client_id))
    made = client.responses.with_raw_response.create(
        model="gpt-4o", instructions="Be brief.", input="about otters", store=False
    )
    text = made.parse().output_text
    body = _trace(stack, credential, made.headers["x-request-id"]).json()
    assert body["kind"] == "response" and body["captured"] is True
    assert [m["content"] for m in body["input_messages"]] == ["Be brief.", "about otters"]
    assert body["output_messages"][0]["content"] == text
    streamed = client.responses.with_raw_response.create(
        model="gpt-4o", input="stream otters", stream=True, store=False
    )
    deltas = [e.delta for e in streamed.parse() if e.type == "response.output_text.delta"]
    body = _trace(stack, credential, streamed.headers["x-request-id"]).json()
    assert body["streamed"] is True and body["output_messages"][0]["content"] == "".join(deltas)
    legacy = client.completions.with_raw_response.create(model="gpt-4o", prompt="say otters")
    answer = legacy.parse().choices[0].text
    body = _trace(stack, credential, legacy.headers["x-request-id"]).json()
    assert body["kind"] == "completion" and body["output_messages"][0]["content"] == answer


def _journal_payloads(stack: Stack) -> dict[str, list[Any]]:
    """Every journal line still on disk, decoded only as JSON: request id -> values."""
    found: dict[str, list[Any]] = {}
    for segment in journal_root(stack.core.db, stack.core.settings).glob("*/*.seg"):
        for line in segment.read_bytes().splitlines():
            values = orjson.loads(line.split(b" ", 2)[2])
            found[values[1]] = values
    return found


def test_nothing_of_the_messages_is_on_the_path_when_off_and_nothing_is_logged(
    stack: Stack,
) -> None:
    """Off: the journal line is the plain version (no content element), so the request
    path converted, scanned and wrote nothing of the messages. On: the line carries them
    already redacted, and no log line (at DEBUG) holds the messages or the secret."""
    handler = _Lines()
    root = logging.getLogger()
    old = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        off_brand, _ = _brand(stack)
        on_brand, _ = _brand(stack, enabled=True)
        off = _chat(stack, _token(stack, off_brand), f"plainly unlogged {OPENAI_KEY}")
        on = _chat(stack, _token(stack, on_brand), f"secretly unlogged {OPENAI_KEY}")
        assert stack.run(stack.core.ledger.flush())
    finally:
        root.removeHandler(handler)
        root.setLevel(old)
    lines = _journal_payloads(stack)
    assert lines[off][0] == codec.VERSION and b"plainly" not in orjson.dumps(lines[off])
    assert lines[on][0] == codec.CONTENT_VERSION
    written = orjson.dumps(lines[on])
    assert b"secretly unlogged [REDACTED:openai_key]" in written
    assert OPENAI_KEY.encode() not in written
    logged = "\n".join(handler.lines)
    assert handler.lines  # the run did log (so the check below means something)
    for text in ("plainly", "secretly", OPENAI_KEY):
        assert text not in logged


class _Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))
