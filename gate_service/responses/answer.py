"""The chat answer -> a Responses API ``Response`` object (OpenAI's shape).

The output items are built from the assistant's message: its reasoning (a ``reasoning``
item with a summary, when the upstream returned any), its text (one ``message`` item with
an ``output_text`` part; a refusal as a ``refusal`` part), and each tool call (one
``function_call`` item, ``call_id`` the upstream's id). The stream (``events.py``) builds
the same items from the same helpers, so a streamed and a whole answer agree.
"""

from __future__ import annotations

from typing import Any

from gate_service.domain import Completion, Json, ToolCall, Usage
from gate_service.domain.openai_answer import metadata_to_json
from gate_service.responses.translate import new_id


def message_item(item_id: str, text: str, *, status: str = "completed") -> Json:
    return {
        "type": "message",
        "id": item_id,
        "status": status,
        "role": "assistant",
        "content": [text_part(text)] if status == "completed" else [],
    }


def text_part(text: str) -> Json:
    return {"type": "output_text", "text": text, "annotations": [], "logprobs": []}


def function_call_item(
    item_id: str, call_id: str, name: str, arguments: str, *, status: str = "completed"
) -> Json:
    return {
        "type": "function_call",
        "id": item_id,
        "call_id": call_id,
        "name": name,
        "arguments": arguments,
        "status": status,
    }


def reasoning_item(text: str) -> Json:
    return {
        "type": "reasoning",
        "id": new_id("rs"),
        "summary": [{"type": "summary_text", "text": text}],
    }


def usage_json(usage: Usage | None) -> Json | None:
    """Chat's token counts under the Responses names."""
    if usage is None:
        return None
    return {
        "input_tokens": usage.prompt_tokens,
        "input_tokens_details": {"cached_tokens": usage.cached_tokens or 0},
        "output_tokens": usage.completion_tokens,
        "output_tokens_details": {"reasoning_tokens": usage.reasoning_tokens or 0},
        "total_tokens": usage.total_tokens or usage.prompt_tokens + usage.completion_tokens,
    }


def response_json(
    response_id: str,
    created_at: int,
    model: str,
    echo: Json,
    *,
    output: list[Json],
    status: str,
    usage: Json | None,
    finish_reason: str | None = None,
    metadata: Any = None,
) -> Json:
    """The ``Response`` object: ``status`` completed, or incomplete when the upstream
    stopped at the output token bound (``finish_reason`` "length")."""
    incomplete = None
    if status == "completed" and finish_reason == "length":
        status = "incomplete"
        incomplete = {"reason": "max_output_tokens"}
    out: Json = {
        "id": response_id,
        "object": "response",
        "created_at": created_at,
        "status": status,
        "error": None,
        "incomplete_details": incomplete,
        "model": model,
        "output": output,
        "usage": usage,
        **echo,
    }
    if metadata is not None:
        out["spidergate_metadata"] = metadata_to_json(metadata)
    return out


def _call_item(call: ToolCall) -> Json:
    fn = call.function
    return function_call_item(
        new_id("fc"),
        call.id or new_id("call"),
        (fn.name if fn else None) or "",
        (fn.arguments if fn else None) or "",
    )


def completion_to_response(
    completion: Completion, response_id: str, created_at: int, echo: Json
) -> Json:
    """The Response for a whole chat completion (its first choice: Responses has no ``n``)."""
    output: list[Json] = []
    finish = None
    if completion.choices:
        choice = completion.choices[0]
        finish = choice.finish_reason
        msg = choice.message
        if msg.reasoning_content:
            output.append(reasoning_item(msg.reasoning_content))
        if msg.refusal:
            item = message_item(new_id("msg"), "")
            item["content"] = [{"type": "refusal", "refusal": msg.refusal}]
            output.append(item)
        elif msg.content:
            output.append(message_item(new_id("msg"), msg.content))
        output.extend(_call_item(call) for call in msg.tool_calls)
    return response_json(
        response_id,
        created_at,
        completion.model,
        echo,
        output=output,
        status="completed",
        usage=usage_json(completion.usage),
        finish_reason=finish,
        metadata=completion.metadata,
    )
