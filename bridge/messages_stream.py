"""Chat completion chunks as Anthropic's stream of events: ``message_start``, a ``ping``,
then per content block ``content_block_start`` / ``content_block_delta`` (``text_delta``,
``input_json_delta``) / ``content_block_stop``, and at the end ``message_delta`` (the
stop reason and the usage) and ``message_stop``. Pure: a translator fed chunk JSON (as
:func:`~gate_service.proto_convert.completion.chunk_from_proto` makes it) that returns
the events each chunk yields, and SSE framing (``event: <type>\\ndata: <json>\\n\\n``).

Anthropic's blocks follow each other; chat deltas interleave text and the tool calls'
argument fragments by index. A block is opened when a delta of another kind (or another
tool call) arrives and the open one is closed first, so the events are always a
well-nested sequence the anthropic SDK accumulates. The usage arrives last in chat (the
core asks for it on every Messages stream); ``message_start`` says 0 input tokens and
``message_delta`` carries the real counts, input tokens included, as Anthropic's own
``message_delta`` now does.
"""

from __future__ import annotations

from typing import Any

import orjson

from bridge.messages_answer import STOP_REASONS, message_id, usage_of

Json = dict[str, Any]
Event = tuple[str, Json]


def sse(event: str, data: Json) -> bytes:
    return b"event: " + event.encode() + b"\ndata: " + orjson.dumps(data) + b"\n\n"


class MessageStream:
    """The events of one streamed message, chunk by chunk (one choice: the first)."""

    def __init__(self) -> None:
        self.started = False
        self.index = -1  # the open block's index, -1 before the first
        self.open: str | None = None  # "text", or "tool:<chat index>"
        self.finish: str | None = None
        self.usage: Json | None = None

    def feed(self, chunk: Json) -> list[Event]:
        events: list[Event] = []
        if not self.started:
            self.started = True
            events.append(("message_start", {"type": "message_start", "message": _start(chunk)}))
            events.append(("ping", {"type": "ping"}))
        if chunk.get("usage"):
            self.usage = chunk["usage"]
        for choice in chunk.get("choices") or []:
            if choice.get("index", 0) != 0:
                continue
            events.extend(self._delta(choice.get("delta") or {}))
            if choice.get("finish_reason"):
                self.finish = choice["finish_reason"]
        return events

    def end(self) -> list[Event]:
        """The closing events, once the chunks ended."""
        events = self._close()
        stop = STOP_REASONS.get(self.finish, "end_turn") if self.finish else "end_turn"
        events.append(
            (
                "message_delta",
                {
                    "type": "message_delta",
                    "delta": {"stop_reason": stop, "stop_sequence": None},
                    "usage": usage_of(self.usage),
                },
            )
        )
        events.append(("message_stop", {"type": "message_stop"}))
        return events

    def _delta(self, delta: Json) -> list[Event]:
        events: list[Event] = []
        if delta.get("content"):
            if self.open != "text":
                events.extend(self._open("text", {"type": "text", "text": ""}))
            events.append(self._block_delta({"type": "text_delta", "text": delta["content"]}))
        for call in delta.get("tool_calls") or []:
            key = f"tool:{call.get('index', 0)}"
            fn = call.get("function") or {}
            if self.open != key:
                block: Json = {
                    "type": "tool_use",
                    "id": call.get("id") or "",
                    "name": fn.get("name") or "",
                    "input": {},
                }
                events.extend(self._open(key, block))
            if fn.get("arguments"):
                events.append(
                    self._block_delta({"type": "input_json_delta", "partial_json": fn["arguments"]})
                )
        return events

    def _open(self, key: str, block: Json) -> list[Event]:
        events = self._close()
        self.index += 1
        self.open = key
        start = {"type": "content_block_start", "index": self.index, "content_block": block}
        events.append(("content_block_start", start))
        return events

    def _close(self) -> list[Event]:
        if self.open is None:
            return []
        self.open = None
        return [("content_block_stop", {"type": "content_block_stop", "index": self.index})]

    def _block_delta(self, delta: Json) -> Event:
        return (
            "content_block_delta",
            {"type": "content_block_delta", "index": self.index, "delta": delta},
        )


def _start(chunk: Json) -> Json:
    return {
        "id": message_id(chunk.get("id", "")),
        "type": "message",
        "role": "assistant",
        "model": chunk.get("model", ""),
        "content": [],
        "stop_reason": None,
        "stop_sequence": None,
        "usage": {"input_tokens": 0, "output_tokens": 0},
    }
