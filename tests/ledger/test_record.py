"""The request record and its forms: the journal line, the ``request_log`` row, ``pb.Trace``
and the JSON, each derived from the record's one list of fields.

The expected bytes below were produced by the release before the record was one type
(``LedgerEntry``, ``RequestLog``, ``Trace``, ``pb.Trace``, ``trace_to_json``): a journal
it wrote must still be read, and the API's answers must not change by a byte but for what
was added since (the request kind: a field of its own in the proto and the JSON, a value
of the version 2 journal line).
"""

from __future__ import annotations

import zlib
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import orjson
import pytest

from gate_service.capture.content import CapturedContent
from gate_service.ledger import codec
from gate_service.ledger.json_shapes import record_to_json
from gate_service.ledger.record import (
    FIELDS,
    PRIVATE,
    REQUEST_KINDS,
    SHOWN,
    Attempt,
    RequestRecord,
    shown_name,
)
from gate_service.ledger.rows import REQUESTS, record_to_row
from gate_service.proto_convert.usage import record_from_proto, record_to_proto
from spidergate.v1 import usage_pb2 as pb

T = datetime(2026, 11, 25, 10, 30, 15, 123456, tzinfo=UTC)
ATTEMPTS = (
    Attempt("groq", "llama", "k…1", "error", 503, 10.5, "server_error", "boom"),
    Attempt("together", "llama", "t…2", "success", 200, 40.25),
)
SERVED = RequestRecord(
    id="req-1",
    client_id="cli_x",
    token_id="tok_1",
    agent_name="agent-1",
    requested_model="spideriq/fast",
    alias="spideriq/fast",
    kind="chat",
    served_model="llama",
    provider="together",
    key_id="key_2",
    key_preview="t…2",
    status=200,
    error_code=None,
    latency_ms=55.5,
    ttft_ms=12.25,
    prompt_tokens=10,
    completion_tokens=5,
    cached_tokens=2,
    reasoning_tokens=1,
    cost_usd=0.00125,
    streamed=True,
    cache_hit=False,
    fallback_chain=("groq:llama", "together:llama"),
    attempts=ATTEMPTS,
    created_at=T,
)
REFUSED = RequestRecord(
    id="req-2",
    client_id="cli_x",
    token_id=None,
    agent_name=None,
    requested_model="x",
    alias=None,
    kind="chat",
    served_model=None,
    provider=None,
    key_id=None,
    key_preview=None,
    status=429,
    error_code="rate_limit_exceeded",
    latency_ms=1.0,
    ttft_ms=None,
    prompt_tokens=0,
    completion_tokens=0,
    cached_tokens=0,
    reasoning_tokens=0,
    cost_usd=0.0,
    streamed=False,
    cache_hit=False,
    fallback_chain=(),
    attempts=(),
    created_at=T,
)

# Written by a release before request kinds (codec VERSION 1, the record then called
# LedgerEntry).
V1_LINE = (
    b'7 0697235d [1,"req-1","cli_x","tok_1","agent-1","spideriq/fast","spideriq/fast",'
    b'"llama","together","key_2","t\xe2\x80\xa62",200,null,55.5,12.25,10,5,2,1,0.00125,'
    b'true,false,["groq:llama","together:llama"],[["groq","llama","k\xe2\x80\xa61","error",'
    b'503,10.5,"server_error","boom"],["together","llama","t\xe2\x80\xa62","success",200,'
    b'40.25,"",""]],"2026-11-25T10:30:15.123456+00:00"]\n'
)
# The same record in the line of today (VERSION 2): the kind after the alias.
V2_LINE = (
    b'7 7c5e47ba [2,"req-1","cli_x","tok_1","agent-1","spideriq/fast","spideriq/fast","chat",'
    b'"llama","together","key_2","t\xe2\x80\xa62",200,null,55.5,12.25,10,5,2,1,0.00125,'
    b'true,false,["groq:llama","together:llama"],[["groq","llama","k\xe2\x80\xa61","error",'
    b'503,10.5,"server_error","boom"],["together","llama","t\xe2\x80\xa62","success",200,'
    b'40.25,"",""]],"2026-11-25T10:30:15.123456+00:00"]\n'
)
# Before kinds; the record's kind now comes after the alias.
SERVED_JSON = (
    b'{"id":"req-1","object":"trace","created":1795602615,'
    b'"created_at":"2026-11-25T10:30:15.123Z","client_id":"cli_x","token_id":"tok_1",'
    b'"agent":"agent-1","requested_model":"spideriq/fast","alias":"spideriq/fast",'
    b'"model":"llama","provider":"together","key_preview":"t\xe2\x80\xa62","status":200,'
    b'"error_code":null,"latency_ms":55.5,"ttft_ms":12.25,"usage":{"prompt_tokens":10,'
    b'"completion_tokens":5,"total_tokens":15,"cached_tokens":2,"reasoning_tokens":1},'
    b'"cost_usd":0.00125,"streamed":true,"cache_hit":false,'
    b'"fallback_chain":["groq:llama","together:llama"]'
)
SERVED_ATTEMPTS_JSON = (
    b',"attempts":[{"provider":"groq","model":"llama","key":"k\xe2\x80\xa61",'
    b'"outcome":"error","status":503,"latency_ms":10.5,"error_code":"server_error",'
    b'"error_message":"boom"},{"provider":"together","model":"llama","key":"t\xe2\x80\xa62",'
    b'"outcome":"success","status":200,"latency_ms":40.25,"error_code":"","error_message":""}]'
)
REFUSED_JSON = (
    b'{"id":"req-2","object":"trace","created":1795602615,'
    b'"created_at":"2026-11-25T10:30:15.123Z","client_id":"cli_x","token_id":null,'
    b'"agent":null,"requested_model":"x","alias":null,"model":null,"provider":null,'
    b'"key_preview":null,"status":429,"error_code":"rate_limit_exceeded","latency_ms":1.0,'
    b'"ttft_ms":null,"usage":{"prompt_tokens":0,"completion_tokens":0,"total_tokens":0,'
    b'"cached_tokens":0,"reasoning_tokens":0},"cost_usd":0.0,"streamed":false,'
    b'"cache_hit":false,"fallback_chain":[],"attempts":[]}'
)
SERVED_PROTO = (
    "0a057265712d3110d3968692a1341a05636c695f782205746f6b5f312a076167656e742d31320d7370"
    "6964657269712f666173743a0d73706964657269712f6661737442056c6c616d614a08746f6765746865"
    "72520574e280a63258c801690000000000c04b40710000000000802840780a80010588010290010199017b"
    "14ae47e17a543fa00101b2010a67726f713a6c6c616d61b2010e746f6765746865723a6c6c616d61ba01"
    "3b0a0467726f7112056c6c616d611a056be280a63122056572726f7228f7033100000000000025403a0c"
    "7365727665725f6572726f724204626f6f6dba012d0a08746f67657468657212056c6c616d611a0574e2"
    "80a63222077375636365737328c801310000000000204440"
)
REFUSED_PROTO = (
    "0a057265712d3210d3968692a1341a05636c695f7832017858ad036213726174655f6c696d69745f6578"
    "63656564656469000000000000f03f"
)


# The span timings' keys, null in records without them.
SPANS_JSON = b',"auth_ms":null,"plan_ms":null,"admission_ms":null'
# pb.Trace.kind (field 24, "chat") after the fields of before.
KIND_CHAT_PROTO = "c2010463686174"


def _with_kind(json: bytes, kind: str) -> bytes:
    """A trace's JSON of before kinds with the kind placed after the alias."""
    head, alias, rest = json.partition(b',"model":')
    return head + b',"kind":"' + kind.encode() + b'"' + alias + rest


def test_a_journal_written_before_request_kinds_replays_as_chat() -> None:
    assert codec.decode(V1_LINE) == (7, SERVED)
    assert codec.decode(V1_LINE)[1].kind == "chat"
    assert codec.decode(V2_LINE) == (7, SERVED)
    # Today's line (VERSION 3) adds the span timings after the plain values of version 2.
    v2 = orjson.loads(V2_LINE.split(b" ", 2)[2])
    v3 = [3, *v2[1:-2], None, None, None, *v2[-2:]]
    assert orjson.loads(codec.encode(7, SERVED).split(b" ", 2)[2]) == v3
    assert codec.decode(codec.encode(7, SERVED)) == (7, SERVED)


def test_span_timings_and_captured_content_survive_the_journal() -> None:
    timed = replace(SERVED, auth_ms=0.25, plan_ms=0.5, admission_ms=1.5)
    assert codec.decode(codec.encode(8, timed)) == (8, timed)
    content = CapturedContent(
        [{"role": "user", "content": "hi"}],
        [{"role": "assistant", "content": "hello"}],
        False,
        True,
        T + timedelta(days=30),
    )
    captured = replace(timed, content=content)
    line = codec.encode(9, captured)
    assert orjson.loads(line.split(b" ", 2)[2])[0] == codec.CONTENT_VERSION
    assert codec.decode(line) == (9, captured)


def test_every_kind_survives_the_journal() -> None:
    for n, kind in enumerate(REQUEST_KINDS):
        record = replace(SERVED, id=f"req-{kind}", kind=kind)
        assert codec.decode(codec.encode(n, record)) == (n, record)


def test_a_line_of_an_unknown_kind_or_version_is_refused() -> None:
    """Intact (the checksum holds) but not a record this release can store."""

    def line(values: list[object]) -> bytes:
        payload = orjson.dumps(values)
        return b"3 %08x %s\n" % (zlib.crc32(payload, zlib.crc32(b"3")), payload)

    good = orjson.loads(V2_LINE.split(b" ", 2)[2])
    assert codec.decode(line(good)) == (3, SERVED)
    for bad in (
        [2, *good[1:7], "video", *good[8:]],  # a kind no column or report knows
        [1, *good[1:]],  # version 1 has one value less
        [2, *good[1:7], *good[8:]],  # version 2 without the kind
        [3, *good[1:]],  # version 3 without the span timings
        [5, *good[1:]],  # a version from the future
    ):
        with pytest.raises(codec.CorruptLine):
            codec.decode(line(bad))


def test_the_json_is_unchanged_to_the_byte_but_for_the_kind_and_spans() -> None:
    """Keys are only added: the kind after the alias, the span timings after the chain."""
    served = _with_kind(SERVED_JSON, "chat") + SPANS_JSON
    assert orjson.dumps(record_to_json(SERVED, attempts=False)) == served + b"}"
    assert orjson.dumps(record_to_json(SERVED, attempts=True)) == (
        served + SERVED_ATTEMPTS_JSON + b"}"
    )
    refused = _with_kind(REFUSED_JSON, "chat").replace(b',"attempts"', SPANS_JSON + b',"attempts"')
    assert orjson.dumps(record_to_json(REFUSED, attempts=True)) == refused
    image = record_to_json(replace(REFUSED, kind="image"), attempts=True)
    assert orjson.dumps(image) == refused.replace(b'"kind":"chat"', b'"kind":"image"')


def test_the_proto_is_unchanged_to_the_byte_but_for_the_kind() -> None:
    """The kind is a new field: what an older reader parses is the same bytes as before."""
    for record, expected in ((SERVED, SERVED_PROTO), (REFUSED, REFUSED_PROTO)):
        wire = record_to_proto(record).SerializeToString(deterministic=True).hex()
        assert wire == expected + KIND_CHAT_PROTO


def test_a_trace_from_a_core_before_kinds_reads_as_chat() -> None:
    """A bridge newer than its core: the core's pb.Trace has no kind."""
    old = pb.Trace.FromString(bytes.fromhex(REFUSED_PROTO))
    assert old.kind == "" and record_from_proto(old).kind == "chat"


def test_the_proto_round_trips_all_but_the_private_fields() -> None:
    """Everything shown comes back; the time to the millisecond (the wire's unit)."""
    for record in (SERVED, REFUSED):
        back = record_from_proto(record_to_proto(record))
        assert all(getattr(back, name) is None for name in PRIVATE)
        to_ms = replace(record, created_at=record.created_at.replace(microsecond=123000))
        assert [getattr(back, n) for n in SHOWN] == [getattr(to_ms, n) for n in SHOWN]


def test_the_row_is_unchanged() -> None:
    assert record_to_row(SERVED) == {
        "id": "req-1",
        "client_id": "cli_x",
        "token_id": "tok_1",
        "agent_name": "agent-1",
        "requested_model": "spideriq/fast",
        "alias": "spideriq/fast",
        "kind": "chat",
        "served_model": "llama",
        "provider": "together",
        "key_id": "key_2",
        "key_preview": "t…2",
        "status": 200,
        "error_code": None,
        "latency_ms": 55.5,
        "ttft_ms": 12.25,
        "prompt_tokens": 10,
        "completion_tokens": 5,
        "cached_tokens": 2,
        "reasoning_tokens": 1,
        "cost_usd": 0.00125,
        "streamed": True,
        "cache_hit": False,
        "fallback_chain": '["groq:llama","together:llama"]',
        "attempts": (
            '[{"provider":"groq","model":"llama","key":"k…1","outcome":"error","status":503,'
            '"latency_ms":10.5,"error_code":"server_error","error_message":"boom"},'
            '{"provider":"together","model":"llama","key":"t…2","outcome":"success",'
            '"status":200,"latency_ms":40.25,"error_code":"","error_message":""}]'
        ),
        "created_at": T,
        "auth_ms": None,
        "plan_ms": None,
        "admission_ms": None,
    }


def test_every_form_has_every_field() -> None:
    """The forms follow the record's one list of fields: the table has a column per field,
    in order; pb.Trace a field per shown field (under its shown name; the time as ms); the
    JSON every shown field (the token counts under "usage")."""
    assert tuple(c.name for c in REQUESTS.columns) == FIELDS
    proto = {shown_name(n) for n in SHOWN} - {"created_at"} | {"created_ms"}
    assert {f.name for f in pb.Trace.DESCRIPTOR.fields} == proto
    body = record_to_json(SERVED, attempts=True)
    flat = set(body) | set(body["usage"])
    assert {shown_name(n) for n in SHOWN} <= flat
    assert not {n for n in PRIVATE} & flat
