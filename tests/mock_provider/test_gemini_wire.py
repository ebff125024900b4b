"""The mock's Gemini format, driven by the official ``google-genai`` SDK.

The SDK builds ``<base_url>/<api_version>/models/{model}:generateContent``
(``:streamGenerateContent?alt=sse`` for streams) and parses the answers into
typed ``GenerateContentResponse`` objects; raw-HTTP tests pin the SSE
framing, auth and error bodies.
"""

from __future__ import annotations

import json
from typing import Any

import aiohttp
import openai
import pytest
from google import genai
from google.genai import errors, types

from mock_provider import MockServer, MockState
from mock_provider.behaviour import estimate_prompt_tokens

# google-genai's own aiohttp session subclass warns on import; not the mock's concern.
pytestmark = pytest.mark.filterwarnings(
    "ignore:Inheritance class AiohttpClientSession:DeprecationWarning"
)


MODEL = "gemini-2.5-flash"
PLAIN_MODEL = "gemini-2.0-flash"  # no thinking tokens
QUESTION = "What is the weather in Paris today?"
LONG_SYSTEM = "You are a meticulous assistant. " * 5  # > 100 chars: the cache trigger
WEATHER: dict[str, Any] = {
    "name": "get_weather",
    "description": "Current weather for a city.",
    "parameters": {
        "type": "OBJECT",
        "properties": {
            "city": {"type": "STRING"},
            "unit": {"type": "STRING", "enum": ["celsius", "fahrenheit"]},
        },
        "required": ["city", "unit"],
    },
}
CLOCK: dict[str, Any] = {
    "name": "get_time",
    "parameters_json_schema": {
        "type": "object",
        "properties": {"timezone": {"type": "string"}},
    },
}
TOOLS: list[Any] = [{"function_declarations": [WEATHER, CLOCK]}]
SSE_PATH = f"/v1beta/models/{MODEL}:streamGenerateContent"
BODY = {"contents": [{"role": "user", "parts": [{"text": QUESTION}]}]}


async def raw_post(
    server: MockServer, path: str, body: Any, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    """POST without the SDK, to see exactly what goes over the wire."""
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            f"{server.url}{path}", data=json.dumps(body).encode(), headers=headers or {}
        ) as response,
    ):
        return response.status, dict(response.headers), await response.read()


# ------------------------------------------------------------------ text


async def test_text_response(gemini: genai.Client, state: MockState) -> None:
    response = await gemini.aio.models.generate_content(model=MODEL, contents=QUESTION)

    assert response.text is not None
    assert response.text.startswith(f"Mock reply from {MODEL}:") and QUESTION in response.text
    assert response.model_version == MODEL
    assert response.response_id
    candidate = (response.candidates or [])[0]
    assert candidate.finish_reason == types.FinishReason.STOP
    assert candidate.content is not None and candidate.content.role == "model"
    assert candidate.index == 0

    record = state.requests()[-1]
    assert record.endpoint == "gemini.generate_content"
    assert (record.prefix, record.model, record.key) == ("/v1", MODEL, "k")
    assert record.path == f"/v1/models/{MODEL}:generateContent"


async def test_same_prompt_same_text_as_the_openai_format(
    gemini: genai.Client, client: openai.AsyncOpenAI
) -> None:
    response = await gemini.aio.models.generate_content(model=MODEL, contents=QUESTION)
    completion = await client.chat.completions.create(
        model=MODEL, messages=[{"role": "user", "content": QUESTION}]
    )
    assert response.text == completion.choices[0].message.content


async def test_system_instruction_and_usage(gemini: genai.Client) -> None:
    response = await gemini.aio.models.generate_content(
        model=PLAIN_MODEL,
        contents=QUESTION,
        config=types.GenerateContentConfig(system_instruction="Be brief."),
    )
    messages: list[Any] = [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": QUESTION},
    ]
    usage = response.usage_metadata
    assert usage is not None and response.text is not None
    assert usage.prompt_token_count == estimate_prompt_tokens(messages)
    assert usage.candidates_token_count == len(response.text.split())
    assert usage.total_token_count == usage.prompt_token_count + usage.candidates_token_count
    assert usage.thoughts_token_count is None  # not a thinking model
    assert usage.cached_content_token_count is None  # short system prompt: no cache hit


async def test_thinking_model_reports_thought_tokens(gemini: genai.Client) -> None:
    response = await gemini.aio.models.generate_content(model=MODEL, contents=QUESTION)
    usage = response.usage_metadata
    assert usage is not None
    assert usage.thoughts_token_count is not None and usage.thoughts_token_count > 0
    assert usage.prompt_token_count is not None and usage.candidates_token_count is not None
    # As in the real API, the total includes the thoughts.
    assert usage.total_token_count == (
        usage.prompt_token_count + usage.candidates_token_count + usage.thoughts_token_count
    )


async def test_long_system_instruction_reports_cached_tokens(gemini: genai.Client) -> None:
    response = await gemini.aio.models.generate_content(
        model=MODEL,
        contents=QUESTION,
        config=types.GenerateContentConfig(system_instruction=LONG_SYSTEM),
    )
    usage = response.usage_metadata
    assert usage is not None and usage.prompt_token_count is not None
    assert usage.cached_content_token_count == usage.prompt_token_count // 2 > 0


async def test_streaming_reassembles_to_the_non_streaming_text(gemini: genai.Client) -> None:
    reference = await gemini.aio.models.generate_content(model=MODEL, contents=QUESTION)
    chunks = [
        chunk
        async for chunk in await gemini.aio.models.generate_content_stream(
            model=MODEL, contents=QUESTION
        )
    ]

    assert len(chunks) > 3
    assert "".join(chunk.text or "" for chunk in chunks) == reference.text
    *middle, last = chunks
    assert all((c.candidates or [])[0].finish_reason is None for c in middle)
    assert (last.candidates or [])[0].finish_reason == types.FinishReason.STOP
    assert last.usage_metadata == reference.usage_metadata
    partial = middle[0].usage_metadata
    assert partial is not None and partial.candidates_token_count is None
    assert {c.response_id for c in chunks} == {last.response_id}


async def test_raw_sse_framing(mock_server: MockServer, state: MockState) -> None:
    status, headers, raw = await raw_post(
        mock_server, f"{SSE_PATH}?alt=sse&key=qk", BODY, {"Content-Type": "application/json"}
    )
    assert status == 200
    assert headers["Content-Type"].startswith("text/event-stream")
    events = raw.decode().split("\r\n\r\n")
    assert events[-1] == ""
    assert all(event.startswith("data: {") for event in events[:-1])
    assert b"[DONE]" not in raw
    payloads = [json.loads(event[6:]) for event in events[:-1]]
    assert payloads[-1]["candidates"][0]["finishReason"] == "STOP"
    assert "candidatesTokenCount" in payloads[-1]["usageMetadata"]
    record = state.requests()[-1]
    assert (record.key, record.prefix, record.endpoint) == (
        "qk",
        "/v1beta",
        "gemini.stream_generate_content",
    )

    # Without alt=sse the stream is one JSON array of the same responses.
    _, headers, raw = await raw_post(mock_server, SSE_PATH, BODY, {"x-goog-api-key": "k"})
    assert headers["Content-Type"].startswith("application/json")
    array = json.loads(raw)
    assert [p["candidates"] for p in array] == [p["candidates"] for p in payloads]


# ------------------------------------------------------------------ tools & config


async def test_function_calling(gemini: genai.Client) -> None:
    response = await gemini.aio.models.generate_content(
        model=MODEL, contents=QUESTION, config={"tools": TOOLS}
    )
    calls = response.function_calls or []
    assert [(c.name, c.args) for c in calls] == [
        ("get_weather", {"city": "sample", "unit": "celsius"})
    ]
    assert (response.candidates or [])[0].finish_reason == types.FinishReason.STOP

    named = await gemini.aio.models.generate_content(
        model=MODEL,
        contents=QUESTION,
        config=types.GenerateContentConfig(
            tools=TOOLS,
            tool_config=types.ToolConfig(
                function_calling_config=types.FunctionCallingConfig(
                    mode=types.FunctionCallingConfigMode.ANY, allowed_function_names=["get_time"]
                )
            ),
        ),
    )
    assert [(c.name, c.args) for c in named.function_calls or []] == [
        ("get_time", {"timezone": "sample"})
    ]

    declined = await gemini.aio.models.generate_content(
        model=MODEL,
        contents=QUESTION,
        config=types.GenerateContentConfig(
            tools=TOOLS,
            tool_config=types.ToolConfig(
                function_calling_config=types.FunctionCallingConfig(
                    mode=types.FunctionCallingConfigMode.NONE
                )
            ),
        ),
    )
    assert declined.function_calls is None and declined.text


async def test_function_response_is_answered_in_text(gemini: genai.Client) -> None:
    contents: list[Any] = [
        {"role": "user", "parts": [{"text": QUESTION}]},
        {
            "role": "model",
            "parts": [{"function_call": {"name": "get_weather", "args": {"city": "Paris"}}}],
        },
        {
            "role": "user",
            "parts": [{"function_response": {"name": "get_weather", "response": {"temp": 21}}}],
        },
    ]
    response = await gemini.aio.models.generate_content(
        model=MODEL, contents=contents, config={"tools": TOOLS}
    )
    assert response.function_calls is None
    assert response.text


async def test_streamed_function_call_comes_whole(gemini: genai.Client) -> None:
    chunks = [
        chunk
        async for chunk in await gemini.aio.models.generate_content_stream(
            model=MODEL, contents=QUESTION, config={"tools": TOOLS}
        )
    ]
    assert len(chunks) == 1
    (call,) = chunks[0].function_calls or []
    assert (call.name, call.args) == ("get_weather", {"city": "sample", "unit": "celsius"})


async def test_generation_config_limits(gemini: genai.Client) -> None:
    full = (await gemini.aio.models.generate_content(model=MODEL, contents=QUESTION)).text or ""
    short = await gemini.aio.models.generate_content(
        model=MODEL, contents=QUESTION, config={"max_output_tokens": 3, "temperature": 0.2}
    )
    assert short.text == " ".join(full.split()[:3])
    assert (short.candidates or [])[0].finish_reason == types.FinishReason.MAX_TOKENS

    stopped = await gemini.aio.models.generate_content(
        model=MODEL, contents=QUESTION, config={"stop_sequences": ["weather"], "top_p": 0.9}
    )
    assert stopped.text == full[: full.index("weather")]
    assert (stopped.candidates or [])[0].finish_reason == types.FinishReason.STOP

    as_json = await gemini.aio.models.generate_content(
        model=MODEL,
        contents=QUESTION,
        config={
            "response_mime_type": "application/json",
            "response_schema": {
                "type": "OBJECT",
                "properties": {"city": {"type": "STRING"}, "high": {"type": "NUMBER"}},
                "required": ["city", "high"],
            },
        },
    )
    assert json.loads(as_json.text or "") == {"city": "sample", "high": 1.5}


async def test_inline_data_counts_as_input(gemini: genai.Client) -> None:
    plain = await gemini.aio.models.generate_content(model=MODEL, contents=QUESTION)
    with_image = await gemini.aio.models.generate_content(
        model=MODEL,
        contents=[
            types.Part.from_bytes(data=b"\x89PNG", mime_type="image/png"),
            QUESTION,
        ],
    )
    assert with_image.text == plain.text
    assert plain.usage_metadata is not None and with_image.usage_metadata is not None
    assert with_image.usage_metadata.prompt_token_count == (
        (plain.usage_metadata.prompt_token_count or 0) + 85
    )


# ------------------------------------------------------------------ errors & auth


async def test_scripted_429_raises_client_error(gemini: genai.Client, state: MockState) -> None:
    state.add_fault({"status": 429, "times": 1, "match": {"format": "gemini", "model": MODEL}})
    with pytest.raises(errors.ClientError) as caught:
        await gemini.aio.models.generate_content(model=MODEL, contents=QUESTION)
    assert caught.value.code == 429
    assert caught.value.status == "RESOURCE_EXHAUSTED"
    assert caught.value.message

    ok = await gemini.aio.models.generate_content(model=MODEL, contents=QUESTION)
    assert ok.text


async def test_scripted_503_on_a_stream_raises_server_error(
    gemini: genai.Client, state: MockState
) -> None:
    state.add_fault({"status": 503, "times": 1})
    with pytest.raises(errors.ServerError) as caught:
        async for _ in await gemini.aio.models.generate_content_stream(
            model=MODEL, contents=QUESTION
        ):
            pass
    assert (caught.value.code, caught.value.status) == (503, "UNAVAILABLE")
    assert isinstance(caught.value, errors.APIError)


async def test_missing_key_is_403_permission_denied(
    mock_server: MockServer, state: MockState
) -> None:
    status, headers, raw = await raw_post(
        mock_server, f"/v1beta/models/{MODEL}:generateContent", BODY
    )
    assert status == 403
    assert headers["Content-Type"].startswith("application/json")
    error = json.loads(raw)["error"]
    assert (error["code"], error["status"]) == (403, "PERMISSION_DENIED")
    assert "API Key" in error["message"]
    assert state.requests()[-1].key is None


async def test_invalid_request_is_invalid_argument(
    mock_server: MockServer, state: MockState
) -> None:
    path = f"/v1beta/models/{MODEL}:generateContent"
    status, _, raw = await raw_post(mock_server, path, {"contents": []}, {"x-goog-api-key": "k"})
    assert status == 400
    error = json.loads(raw)["error"]
    assert (error["code"], error["status"]) == (400, "INVALID_ARGUMENT")
    assert "contents" in error["message"]


async def test_v1beta_and_arbitrary_prefixes(mock_server: MockServer, state: MockState) -> None:
    beta = genai.Client(
        api_key="g-1",
        http_options=types.HttpOptions(base_url=f"{mock_server.url}/google", api_version="v1beta"),
    )
    try:
        response = await beta.aio.models.generate_content(model=PLAIN_MODEL, contents=QUESTION)
    finally:
        await beta.aio.aclose()
    assert response.text
    status, _, _ = await raw_post(
        mock_server, f"/gem/models/{MODEL}:generateContent", BODY, {"x-goog-api-key": "g-2"}
    )
    assert status == 200
    first, second = state.requests()
    assert (first.prefix, first.model, first.key) == ("/google/v1beta", PLAIN_MODEL, "g-1")
    assert (second.prefix, second.model, second.key) == ("/gem", MODEL, "g-2")
