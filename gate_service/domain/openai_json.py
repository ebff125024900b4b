"""The OpenAI JSON form of the domain, both ways, in one place (``openai_request``: the
request; ``openai_answer``: completions, chunks and usage).

Used where that shape is the wire: the OpenAI-compatible adapter (its upstream body, its
upstream's answers and stream events), the cache's stored value and its key's canonical
form. The bridge does not come through here: it converts client JSON to proto and proto
back to JSON itself (``proto_convert``), so no domain object is built there.
"""

from gate_service.domain.openai_answer import (
    INT32,
    INT64,
    chunk_from_json,
    chunk_to_json,
    completion_from_json,
    completion_to_json,
    delta_from_json,
    delta_to_json,
    metadata_to_json,
    tool_call_from_json,
    usage_from_json,
    usage_to_json,
)
from gate_service.domain.openai_request import (
    message_to_json,
    options_to_json,
    request_to_json,
    tool_call_to_json,
    tool_to_json,
)

__all__ = [
    "INT32",
    "INT64",
    "chunk_from_json",
    "chunk_to_json",
    "completion_from_json",
    "completion_to_json",
    "delta_from_json",
    "delta_to_json",
    "message_to_json",
    "metadata_to_json",
    "options_to_json",
    "request_to_json",
    "tool_call_from_json",
    "tool_call_to_json",
    "tool_to_json",
    "usage_from_json",
    "usage_to_json",
]
