"""The chat answer -> a Response object, and chat chunks -> the Responses event sequence."""

from __future__ import annotations

from gate_service.domain import (
    Choice,
    Chunk,
    ChunkChoice,
    Completion,
    Delta,
    FunctionCall,
    ToolCall,
    Usage,
)
from gate_service.responses.answer import completion_to_response
from gate_service.responses.events import EventWriter

ECHO = {"metadata": {"k": "v"}, "store": True}


def _call(index: int, id_: str | None, name: str | None, args: str) -> ToolCall:
    return ToolCall(index=index, id=id_, type="function", function=FunctionCall(name, args))


def test_a_completion_becomes_output_items_and_usage() -> None:
    completion = Completion(
        id="chatcmpl-1",
        model="served",
        choices=[
            Choice(
                0,
                Delta(
                    role="assistant",
                    content="Hello",
                    reasoning_content="thinking",
                    tool_calls=[_call(0, "call_1", "f", '{"a":1}')],
                ),
                "tool_calls",
            )
        ],
        usage=Usage(prompt_tokens=5, completion_tokens=3, total_tokens=8, cached_tokens=2),
    )
    resp = completion_to_response(completion, "resp_1", 100, ECHO)
    assert (resp["id"], resp["object"], resp["status"], resp["model"]) == (
        "resp_1",
        "response",
        "completed",
        "served",
    )
    assert [item["type"] for item in resp["output"]] == ["reasoning", "message", "function_call"]
    assert resp["output"][1]["content"][0] == {
        "type": "output_text",
        "text": "Hello",
        "annotations": [],
        "logprobs": [],
    }
    call = resp["output"][2]
    assert (call["call_id"], call["name"], call["arguments"]) == ("call_1", "f", '{"a":1}')
    assert resp["usage"] == {
        "input_tokens": 5,
        "input_tokens_details": {"cached_tokens": 2},
        "output_tokens": 3,
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": 8,
    }
    assert resp["metadata"] == {"k": "v"}


def test_cut_at_the_token_bound_is_incomplete() -> None:
    completion = Completion(id="c", model="m", choices=[Choice(0, Delta(content="Hel"), "length")])
    resp = completion_to_response(completion, "resp_2", 1, ECHO)
    assert resp["status"] == "incomplete"
    assert resp["incomplete_details"] == {"reason": "max_output_tokens"}


def _chunk(delta: Delta, finish: str | None = None) -> Chunk:
    return Chunk(id="c", model="served", choices=[ChunkChoice(0, delta, finish)])


def test_text_then_tool_calls_stream_in_openai_order() -> None:
    writer = EventWriter("resp_3", 1, "alias", ECHO)
    first = [_chunk(Delta(role="assistant", content="Hi "))]
    events = writer.start(first)
    events += writer.feed(first[0])
    events += writer.feed(_chunk(Delta(content="there")))
    events += writer.feed(_chunk(Delta(tool_calls=[_call(0, "call_a", "f", "")])))
    events += writer.feed(_chunk(Delta(tool_calls=[_call(0, None, None, '{"x":')])))
    events += writer.feed(_chunk(Delta(tool_calls=[_call(0, None, None, "1}")])))
    events += writer.feed(_chunk(Delta(tool_calls=[_call(1, "call_b", "g", "{}")]), "tool_calls"))
    events += writer.feed(Chunk(id="c", model="served", usage=Usage(4, 6, 10)))
    events += writer.finish()
    kinds = [kind for kind, _ in events]
    assert kinds == [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.content_part.added",
        "response.output_text.delta",
        "response.output_text.delta",
        "response.output_text.done",
        "response.content_part.done",
        "response.output_item.done",
        "response.output_item.added",
        "response.function_call_arguments.delta",
        "response.function_call_arguments.delta",
        "response.output_item.added",
        "response.function_call_arguments.delta",
        "response.function_call_arguments.done",
        "response.output_item.done",
        "response.function_call_arguments.done",
        "response.output_item.done",
        "response.completed",
    ]
    assert [data["sequence_number"] for _, data in events] == list(range(len(events)))
    assert all(data["type"] == kind for kind, data in events)
    done = [data for kind, data in events if kind == "response.function_call_arguments.done"]
    assert [(d["output_index"], d["arguments"]) for d in done] == [(1, '{"x":1}'), (2, "{}")]
    completed = events[-1][1]["response"]
    assert completed["model"] == "served" and completed["usage"]["total_tokens"] == 10
    assert [i["type"] for i in completed["output"]] == ["message", "function_call", "function_call"]
    assert completed["output"][0]["content"][0]["text"] == "Hi there"
    assert completed == writer.completed
    assert events[0][1]["response"]["status"] == "in_progress"
    assert events[0][1]["response"]["output"] == []
    assert events[0][1]["response"]["model"] == "served"  # the model serving, not the alias
