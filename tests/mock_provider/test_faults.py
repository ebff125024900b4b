"""Every fault kind, for every wire format, streaming and not.

Raw aiohttp requests show exactly what reached the client (how many events,
whether a terminating event came, when each byte arrived); the official SDKs
show that the failure surfaces the way the gateway will see it.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import anthropic
import openai
import pytest
from google import genai
from google.genai import errors

from gate_service.providers.registry import WIRE_FORMATS
from mock_provider import MockServer, MockState
from mock_provider.fault_rules import FAULT_KINDS
from tests.mock_provider.wire_cases import CASES, OPENAI_MESSAGES, QUESTION

# google-genai's own aiohttp session subclass warns on import; not the mock's concern.
pytestmark = pytest.mark.filterwarnings(
    "ignore:Inheritance class AiohttpClientSession:DeprecationWarning"
)


FORMATS = WIRE_FORMATS
_IDS = re.compile(rb'"(id|responseId|created)":("[^"]*"|\d+)')


def request_for(fmt: str, *, stream: bool, key: str = "k") -> tuple[str, dict[str, str], Any]:
    """Path, headers and body of a minimal valid request in ``fmt``."""
    return CASES[fmt].request(stream=stream, key=key)


@dataclass
class Fetched:
    """What a raw client got: possibly a status and some bytes, possibly an error."""

    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    error: Exception | None = None
    elapsed: float = 0.0
    arrivals: list[float] = field(default_factory=list)
    """Seconds from the start at which each piece of the body arrived."""

    def events(self, fmt: str) -> list[bytes]:
        return [e for e in self.body.split(CASES[fmt].separator) if e]


async def fetch(server: MockServer, fmt: str, *, stream: bool, key: str = "k") -> Fetched:
    path, headers, body = request_for(fmt, stream=stream, key=key)
    got = Fetched()
    start = time.monotonic()
    try:
        async with (
            aiohttp.ClientSession() as session,
            session.post(f"{server.url}{path}", json=body, headers=headers) as response,
        ):
            got.status, got.headers = response.status, dict(response.headers)
            async for piece in response.content.iter_any():
                got.body += piece
                got.arrivals.append(time.monotonic() - start)
    except aiohttp.ClientError as exc:
        got.error = exc
    got.elapsed = time.monotonic() - start
    return got


def without_ids(events: list[bytes]) -> list[bytes]:
    """Events with per-response ids and timestamps blanked, to compare two answers."""
    return [_IDS.sub(b"", event) for event in events]


def is_terminal(fmt: str, event: bytes) -> bool:
    """Whether ``event`` is the one that properly ends a stream in ``fmt``."""
    return CASES[fmt].is_terminal(event)


both_modes = pytest.mark.parametrize("stream", [False, True], ids=["plain", "stream"])
every_format = pytest.mark.parametrize("fmt", FORMATS)


# ------------------------------------------------------------------ error


@every_format
@both_modes
async def test_error_uses_each_formats_shape_and_headers(
    mock_server: MockServer, state: MockState, fmt: str, stream: bool
) -> None:
    state.add_fault(
        {
            "kind": "error",
            "status": 429,
            "times": 1,
            "headers": {
                "Retry-After": "7",
                "x-ratelimit-reset-requests": "7s",
                "x-ratelimit-remaining-requests": "0",
            },
        }
    )
    got = await fetch(mock_server, fmt, stream=stream)
    assert got.status == 429
    assert got.headers["Retry-After"] == "7"
    assert got.headers["x-ratelimit-reset-requests"] == "7s"
    assert got.headers["x-ratelimit-remaining-requests"] == "0"
    assert got.headers["Content-Type"].startswith("application/json")
    CASES[fmt].check_rate_limit_body(json.loads(got.body))
    assert (await fetch(mock_server, fmt, stream=stream)).status == 200  # times=1 used up


@pytest.mark.parametrize("status", [401, 500, 503])
async def test_error_statuses_reach_the_sdks(
    client: openai.AsyncOpenAI,
    claude: anthropic.AsyncAnthropic,
    gemini: genai.Client,
    state: MockState,
    status: int,
) -> None:
    state.add_fault({"status": status, "times": 3})
    with pytest.raises(openai.APIStatusError) as from_openai:
        await client.chat.completions.create(model="gpt-4o", messages=OPENAI_MESSAGES)
    with pytest.raises(anthropic.APIStatusError) as from_anthropic:
        await claude.messages.create(model="claude-x", max_tokens=64, messages=OPENAI_MESSAGES)
    with pytest.raises(errors.APIError) as from_gemini:
        await gemini.aio.models.generate_content(model="gemini-2.0-flash", contents=QUESTION)
    assert from_openai.value.status_code == from_anthropic.value.status_code == status
    assert from_gemini.value.code == status
    assert state.faults == []


# ------------------------------------------------------------------ delay


@every_format
@both_modes
async def test_delay_then_a_normal_answer(
    mock_server: MockServer, state: MockState, fmt: str, stream: bool
) -> None:
    state.add_fault({"kind": "delay", "delay_ms": 100, "times": 1})
    got = await fetch(mock_server, fmt, stream=stream)
    assert got.status == 200 and got.error is None
    assert got.elapsed >= 0.1
    assert got.arrivals[0] >= 0.1  # nothing, not even headers, before the delay
    fast = await fetch(mock_server, fmt, stream=stream)
    assert without_ids(fast.events(fmt)) == without_ids(got.events(fmt))
    assert fast.elapsed < 0.1


async def test_delay_trips_client_timeouts_and_keeps_requests_in_flight(
    mock_server: MockServer, state: MockState
) -> None:
    state.add_fault({"kind": "delay", "delay_ms": 800, "match": {"key": "slow"}})
    impatient = openai.AsyncOpenAI(
        base_url=f"{mock_server.url}/v1", api_key="slow", max_retries=0, timeout=0.2
    )
    async with impatient:
        start = time.monotonic()
        with pytest.raises(openai.APITimeoutError):
            await impatient.chat.completions.create(model="gpt-4o", messages=OPENAI_MESSAGES)
    assert time.monotonic() - start < 0.6
    assert state.by_key == {"slow": 1}  # recorded on arrival, while still in flight


# ------------------------------------------------------------------ reset


@every_format
@both_modes
async def test_reset_drops_the_connection_without_an_answer(
    mock_server: MockServer, state: MockState, fmt: str, stream: bool
) -> None:
    state.add_fault({"kind": "reset", "times": 1})
    got = await fetch(mock_server, fmt, stream=stream)
    assert got.status is None and got.body == b""
    assert isinstance(got.error, aiohttp.ClientOSError | aiohttp.ServerDisconnectedError)
    assert (await fetch(mock_server, fmt, stream=stream)).status == 200
    assert state.total == 2


async def test_reset_is_a_connection_error_for_the_sdks(
    client: openai.AsyncOpenAI, claude: anthropic.AsyncAnthropic, state: MockState
) -> None:
    state.add_fault({"kind": "reset", "times": 2})
    with pytest.raises(openai.APIConnectionError):
        await client.chat.completions.create(model="gpt-4o", messages=OPENAI_MESSAGES)
    with pytest.raises(anthropic.APIConnectionError):
        await claude.messages.create(model="claude-x", max_tokens=64, messages=OPENAI_MESSAGES)


# ------------------------------------------------------------------ stream_cut


@every_format
async def test_stream_cut_sends_exactly_n_events_and_no_ending(
    mock_server: MockServer, state: MockState, fmt: str
) -> None:
    full = (await fetch(mock_server, fmt, stream=True)).events(fmt)
    state.add_fault({"kind": "stream_cut", "after_chunks": 3, "times": 1})
    got = await fetch(mock_server, fmt, stream=True)

    assert got.status == 200
    assert isinstance(got.error, aiohttp.ClientPayloadError)  # no terminating chunk
    events = got.events(fmt)
    assert len(events) == 3
    assert not any(is_terminal(fmt, e) for e in events)
    assert without_ids(events) == without_ids(full[:3])


@every_format
async def test_stream_cut_never_sends_the_final_event(
    mock_server: MockServer, state: MockState, fmt: str
) -> None:
    full = (await fetch(mock_server, fmt, stream=True)).events(fmt)
    state.add_fault({"kind": "stream_cut", "after_chunks": 10_000, "times": 1})
    got = await fetch(mock_server, fmt, stream=True)
    assert len(got.events(fmt)) == len(full) - 1
    assert not any(is_terminal(fmt, e) for e in got.events(fmt))
    assert got.error is not None


@every_format
async def test_stream_cut_without_streaming_is_a_reset(
    mock_server: MockServer, state: MockState, fmt: str
) -> None:
    state.add_fault({"kind": "stream_cut", "after_chunks": 3, "times": 1})
    got = await fetch(mock_server, fmt, stream=False)
    assert got.status is None and got.body == b"" and got.error is not None


async def test_stream_cut_through_the_openai_sdk(
    client: openai.AsyncOpenAI, state: MockState
) -> None:
    state.add_fault({"kind": "stream_cut", "after_chunks": 4, "times": 1})
    received = []
    with pytest.raises(openai.APIConnectionError):
        stream = await client.chat.completions.create(
            model="gpt-4o", messages=OPENAI_MESSAGES, stream=True
        )
        async for chunk in stream:
            received.append(chunk)
    assert len(received) == 4
    assert all(chunk.choices[0].finish_reason is None for chunk in received)


async def test_stream_cut_through_the_anthropic_and_gemini_sdks(
    claude: anthropic.AsyncAnthropic, gemini: genai.Client, state: MockState
) -> None:
    state.add_fault({"kind": "stream_cut", "after_chunks": 5, "match": {"format": "anthropic"}})
    state.add_fault({"kind": "stream_cut", "after_chunks": 2, "match": {"format": "gemini"}})
    seen: list[str] = []
    with pytest.raises(Exception, match="incomplete chunked read"):
        async with claude.messages.stream(
            model="claude-x", max_tokens=64, messages=OPENAI_MESSAGES
        ) as stream:
            async for event in stream:
                seen.append(event.type)
    assert "message_stop" not in seen and seen[0] == "message_start"

    texts: list[str | None] = []
    with pytest.raises(aiohttp.ClientPayloadError):
        async for chunk in await gemini.aio.models.generate_content_stream(
            model="gemini-2.0-flash", contents=QUESTION
        ):
            texts.append(chunk.text)
    assert len(texts) == 2


# ------------------------------------------------------------------ malformed_sse


@every_format
async def test_malformed_sse_sends_n_events_then_garbage(
    mock_server: MockServer, state: MockState, fmt: str
) -> None:
    state.add_fault({"kind": "malformed_sse", "after_chunks": 2, "times": 1})
    got = await fetch(mock_server, fmt, stream=True)
    assert got.status == 200
    assert got.error is not None  # the connection is dropped after the bad event
    *good, bad = got.events(fmt)
    assert len(good) == 2
    assert bad.endswith(b"data: {not json")
    for event in good:
        json.loads(event.split(b"data: ", 1)[1])


@every_format
async def test_malformed_without_streaming_is_a_broken_json_body(
    mock_server: MockServer, state: MockState, fmt: str
) -> None:
    state.add_fault({"kind": "malformed_sse", "times": 1})
    got = await fetch(mock_server, fmt, stream=False)
    assert got.status == 200 and got.error is None
    with pytest.raises(json.JSONDecodeError):
        json.loads(got.body)


async def test_malformed_sse_breaks_every_sdk(
    client: openai.AsyncOpenAI,
    claude: anthropic.AsyncAnthropic,
    gemini: genai.Client,
    state: MockState,
) -> None:
    state.add_fault({"kind": "malformed_sse", "after_chunks": 2})
    with pytest.raises(json.JSONDecodeError):
        async for _ in await client.chat.completions.create(
            model="gpt-4o", messages=OPENAI_MESSAGES, stream=True
        ):
            pass
    with pytest.raises(json.JSONDecodeError):
        async with claude.messages.stream(
            model="claude-x", max_tokens=64, messages=OPENAI_MESSAGES
        ) as stream:
            await stream.get_final_message()
    with pytest.raises(errors.UnknownApiResponseError):
        async for _ in await gemini.aio.models.generate_content_stream(
            model="gemini-2.0-flash", contents=QUESTION
        ):
            pass


# ------------------------------------------------------------------ slow_stream


@every_format
async def test_slow_stream_paces_every_event(
    mock_server: MockServer, state: MockState, fmt: str
) -> None:
    reference = await fetch(mock_server, fmt, stream=True)
    delay = 0.01
    state.add_fault({"kind": "slow_stream", "chunk_delay_ms": 10, "times": 1})
    got = await fetch(mock_server, fmt, stream=True)

    assert got.status == 200 and got.error is None
    events = got.events(fmt)
    assert without_ids(events) == without_ids(reference.events(fmt))
    assert is_terminal(fmt, events[-1])  # completes normally
    assert got.elapsed >= (len(events) - 1) * delay
    assert len(got.arrivals) > 1  # written event by event, not in one go
    assert got.arrivals[0] < got.elapsed / 2


async def test_slow_stream_through_the_openai_sdk(
    client: openai.AsyncOpenAI, state: MockState
) -> None:
    state.add_fault({"kind": "slow_stream", "chunk_delay_ms": 15})
    start = time.monotonic()
    stream = await client.chat.completions.create(
        model="gpt-4o", messages=OPENAI_MESSAGES, stream=True
    )
    chunks = [chunk async for chunk in stream]
    content_chunks = [c for c in chunks if c.choices and c.choices[0].delta.content]
    assert time.monotonic() - start >= len(content_chunks) * 0.015
    assert chunks[-1].choices[0].finish_reason == "stop"

    start = time.monotonic()  # no effect without streaming
    await client.chat.completions.create(model="gpt-4o", messages=OPENAI_MESSAGES)
    assert time.monotonic() - start < 0.015 * len(content_chunks)


# ------------------------------------------------------------------ headers


@every_format
@both_modes
async def test_headers_are_added_to_success_answers(
    mock_server: MockServer, state: MockState, fmt: str, stream: bool
) -> None:
    state.add_fault(
        {
            "kind": "headers",
            "headers": {"x-ratelimit-remaining-requests": "3", "X-Mock-Quota": "low"},
            "times": 1,
        }
    )
    got = await fetch(mock_server, fmt, stream=stream)
    assert got.status == 200 and got.error is None
    assert got.headers["x-ratelimit-remaining-requests"] == "3"
    assert got.headers["x-mock-quota"] == "low"
    after = await fetch(mock_server, fmt, stream=stream)
    assert "x-mock-quota" not in after.headers


async def test_headers_reach_the_openai_sdk(client: openai.AsyncOpenAI, state: MockState) -> None:
    state.add_fault({"kind": "headers", "headers": {"x-ratelimit-remaining-requests": "3"}})
    raw = await client.chat.completions.with_raw_response.create(
        model="gpt-4o", messages=OPENAI_MESSAGES
    )
    assert raw.headers.get_list("x-ratelimit-remaining-requests") == ["3"]  # replaced, not added
    assert raw.parse().choices[0].message.content


# ------------------------------------------------------------------ matching


async def test_times_is_used_up_then_requests_succeed(
    mock_server: MockServer, state: MockState
) -> None:
    rule = state.add_fault({"kind": "reset", "times": 2})
    assert (await fetch(mock_server, "openai", stream=False)).error is not None
    assert (await fetch(mock_server, "anthropic", stream=True)).error is not None
    assert (await fetch(mock_server, "gemini", stream=False)).status == 200
    assert state.faults == [] and rule.hits == 2


async def test_only_the_matching_key_is_faulted(mock_server: MockServer, state: MockState) -> None:
    state.add_fault({"kind": "stream_cut", "after_chunks": 1, "match": {"key": "key-a"}})
    state.add_fault({"kind": "delay", "delay_ms": 100, "match": {"key": "key-b"}})
    for fmt in FORMATS:
        cut = await fetch(mock_server, fmt, stream=True, key="key-a")
        assert len(cut.events(fmt)) == 1 and cut.error is not None
        slow = await fetch(mock_server, fmt, stream=True, key="key-b")
        assert slow.error is None and slow.elapsed >= 0.1
        ok = await fetch(mock_server, fmt, stream=True, key="key-c")
        assert ok.error is None and is_terminal(fmt, ok.events(fmt)[-1])
    assert [rule.hits for rule in state.faults] == [3, 3]


async def test_rules_match_by_format_and_model(mock_server: MockServer, state: MockState) -> None:
    state.add_fault({"kind": "reset", "match": {"format": "gemini", "model": "gemini-2.0-flash"}})
    assert (await fetch(mock_server, "gemini", stream=False)).error is not None
    assert (await fetch(mock_server, "anthropic", stream=False)).status == 200
    assert (await fetch(mock_server, "openai", stream=False)).status == 200


async def test_admin_lists_every_kind(mock_server: MockServer, state: MockState) -> None:
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            f"{mock_server.url}/__mock/faults",
            json={"kind": "slow_stream", "chunk_delay_ms": 5, "match": {"format": "anthropic"}},
        ) as created,
        session.get(f"{mock_server.url}/__mock/faults") as listed,
    ):
        assert created.status == 201
        listing = await listed.json()
    assert set(listing["kinds"]) == set(FAULT_KINDS)
    assert listing["kinds"]["delay"]["required"] == ["delay_ms"]
    assert "after_chunks" in listing["kinds"]["stream_cut"]["fields"]
    (rule,) = listing["faults"]
    assert (rule["kind"], rule["chunk_delay_ms"], rule["status"]) == ("slow_stream", 5, None)
