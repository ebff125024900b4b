"""Test material: domain requests written as the JSON a client sends, built the way the
core builds them (client JSON -> proto in the bridge, proto -> domain in the core)."""

from __future__ import annotations

from typing import Any

from gate_service.chat.validation import DEFAULT_MAX_DEPTH
from gate_service.domain import ChatRequest
from gate_service.proto_convert.request import request_from_proto
from gate_service.proto_convert.request_json import request_to_proto


def chat_request(body: dict[str, Any], max_depth: int = DEFAULT_MAX_DEPTH) -> ChatRequest:
    """The domain request the core builds from ``body``."""
    return request_from_proto(request_to_proto(body), max_depth)
