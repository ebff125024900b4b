"""Chat stream chunks -> the Responses API's event sequence.

OpenAI's order, which the SDKs' stream accumulators rely on::

    response.created, response.in_progress
    per text item:  output_item.added, content_part.added, output_text.delta...,
                    output_text.done, content_part.done, output_item.done
    per tool call:  output_item.added, function_call_arguments.delta...,
                    function_call_arguments.done, output_item.done
    response.completed (the whole Response, usage included)

Every event carries a ``sequence_number`` counting from 0. The text item is closed when
the first tool call starts (chat streams text before tool calls); the calls are closed
at the end, in the order they started. Reasoning deltas are not streamed as items (see
the README); the text and tool calls are.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from gate_service.domain import Chunk, Json, Metadata, Usage
from gate_service.responses.answer import (
    function_call_item,
    message_item,
    response_json,
    text_part,
    usage_json,
)
from gate_service.responses.translate import new_id

Event = tuple[str, Json]
# Every event type a stream can carry (the OpenAPI document lists them; a test checks that
# each event a real stream sends is one of them). ``error`` is the bridge's: a failure
# after the first events.
EVENT_TYPES = (
    "response.created",
    "response.in_progress",
    "response.output_item.added",
    "response.content_part.added",
    "response.output_text.delta",
    "response.output_text.done",
    "response.content_part.done",
    "response.function_call_arguments.delta",
    "response.function_call_arguments.done",
    "response.output_item.done",
    "response.completed",
    "response.incomplete",
    "error",
)


@dataclass(slots=True)
class _Call:
    output_index: int
    item_id: str
    call_id: str
    name: str
    arguments: list[str] = field(default_factory=list)


class EventWriter:
    """One stream's state: feed it chunks, get events."""

    def __init__(self, response_id: str, created_at: int, model: str, echo: Json) -> None:
        self.response_id = response_id
        self.created_at = created_at
        self.model = model
        self.echo = echo
        self.sequence = 0
        self.output: list[Json] = []
        self._text: list[str] | None = None
        self._text_id = ""
        self._text_index = 0
        self._calls: dict[int, _Call] = {}
        self.usage: Usage | None = None
        self.finish_reason: str | None = None
        self.metadata: Metadata | None = None
        self.completed: Json = {}

    def _event(self, kind: str, **data: object) -> Event:
        payload: Json = {"type": kind, "sequence_number": self.sequence, **data}
        self.sequence += 1
        return kind, payload

    def _response(self, status: str) -> Json:
        return response_json(
            self.response_id,
            self.created_at,
            self.model,
            self.echo,
            output=self.output if status != "in_progress" else [],
            status=status,
            usage=usage_json(self.usage) if status != "in_progress" else None,
            finish_reason=self.finish_reason,
            metadata=self.metadata if status != "in_progress" else None,
        )

    def start(self, first: Sequence[Chunk] = ()) -> list[Event]:
        """``response.created`` and ``response.in_progress``, naming the model that serves
        (read off the ``first`` chunks, which the events wait for), as the whole answer
        does, never the alias asked for."""
        self.model = next((c.model for c in first if c.model), self.model)
        response = self._response("in_progress")
        return [
            self._event("response.created", response=response),
            self._event("response.in_progress", response=response),
        ]

    def feed(self, chunk: Chunk) -> list[Event]:
        events: list[Event] = []
        if chunk.model:
            self.model = chunk.model
        if chunk.usage is not None:
            self.usage = chunk.usage
        for choice in chunk.choices:
            if choice.index != 0:
                continue
            delta = choice.delta
            if delta.content:
                events.extend(self._text_delta(delta.content))
            for call in delta.tool_calls:
                events.extend(self._call_delta(call.index or 0, call))
            if choice.finish_reason:
                self.finish_reason = choice.finish_reason
        return events

    def _text_delta(self, text: str) -> list[Event]:
        events = []
        if self._text is None:
            self._text = []
            self._text_id = new_id("msg")
            self._text_index = len(self.output)
            self.output.append(message_item(self._text_id, "", status="in_progress"))
            events.append(
                self._event(
                    "response.output_item.added",
                    output_index=self._text_index,
                    item=message_item(self._text_id, "", status="in_progress"),
                )
            )
            events.append(
                self._event(
                    "response.content_part.added",
                    item_id=self._text_id,
                    output_index=self._text_index,
                    content_index=0,
                    part=text_part(""),
                )
            )
        self._text.append(text)
        events.append(
            self._event(
                "response.output_text.delta",
                item_id=self._text_id,
                output_index=self._text_index,
                content_index=0,
                delta=text,
                logprobs=[],
            )
        )
        return events

    def _close_text(self) -> list[Event]:
        if self._text is None:
            return []
        text = "".join(self._text)
        self._text = None
        item = message_item(self._text_id, text)
        self.output[self._text_index] = item
        where = {"item_id": self._text_id, "output_index": self._text_index, "content_index": 0}
        return [
            self._event("response.output_text.done", **where, text=text, logprobs=[]),
            self._event("response.content_part.done", **where, part=text_part(text)),
            self._event("response.output_item.done", output_index=self._text_index, item=item),
        ]

    def _call_delta(self, index: int, call: object) -> list[Event]:
        fn = getattr(call, "function", None)
        events = []
        state = self._calls.get(index)
        if state is None:
            events.extend(self._close_text())
            state = _Call(
                output_index=len(self.output),
                item_id=new_id("fc"),
                call_id=getattr(call, "id", None) or new_id("call"),
                name=(fn.name if fn else None) or "",
            )
            self._calls[index] = state
            item = function_call_item(
                state.item_id, state.call_id, state.name, "", status="in_progress"
            )
            self.output.append(item)
            events.append(
                self._event(
                    "response.output_item.added", output_index=state.output_index, item=item
                )
            )
        elif fn is not None and fn.name and not state.name:
            state.name = fn.name
        if fn is not None and fn.arguments:
            state.arguments.append(fn.arguments)
            events.append(
                self._event(
                    "response.function_call_arguments.delta",
                    item_id=state.item_id,
                    output_index=state.output_index,
                    delta=fn.arguments,
                )
            )
        return events

    def finish(self, metadata: Metadata | None = None) -> list[Event]:
        """Close what is open and complete the response (the Response it ends with is
        ``self.completed``)."""
        self.metadata = metadata
        events = self._close_text()
        for state in self._calls.values():
            arguments = "".join(state.arguments)
            item = function_call_item(state.item_id, state.call_id, state.name, arguments)
            self.output[state.output_index] = item
            events.append(
                self._event(
                    "response.function_call_arguments.done",
                    item_id=state.item_id,
                    output_index=state.output_index,
                    name=state.name,
                    arguments=arguments,
                )
            )
            events.append(
                self._event("response.output_item.done", output_index=state.output_index, item=item)
            )
        self._calls = {}
        self.completed = self._response("completed")
        # "response.incomplete" when the output bound cut it (status "incomplete").
        kind = "response." + str(self.completed["status"])
        events.append(self._event(kind, response=self.completed))
        return events
