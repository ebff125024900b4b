"""A Node gRPC client (@grpc/grpc-js + @grpc/proto-loader on the .proto files) against the
real core: the protos alone are enough for another language to use every service.

Needs Node (see ``tests/node_client.py``).
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.node_client import run_node_client
from tests.stack import Stack


@pytest.fixture(scope="module")
def node_result(node_available: None, stack: Stack, token: str) -> dict[str, Any]:
    return run_node_client("grpc_client.mjs", stack.grpc_target, token)


def test_catalog_service(node_result: dict[str, Any], stack: Stack) -> None:
    r = node_result
    assert r["health"] == "ok"
    assert r["version"] == stack.core.version
    assert r["models_count"] == 3
    catalog = stack.core.catalog
    assert r["models_total"] == len(catalog.models) + len(catalog.chat_aliases())
    assert len(set(r["model_ids"])) == 3
    assert r["model_id"] == "openai/gpt-4o"
    assert r["model_provider"] == "openai"
    assert isinstance(r["model_context_window"], str)  # int64 with longs: String
    assert int(r["model_context_window"]) > 0
    assert r["aliases_count"] == 26
    assert r["alias_ids"] == [a.id for a in stack.core.catalog.chat_aliases()]
    assert r["providers_count"] == len(stack.core.catalog.providers)
    assert "groq" in r["provider_ids"]


def test_auth_service(node_result: dict[str, Any], brand: tuple[str, str]) -> None:
    assert node_result["principal_client_id"] == brand[0]
    assert node_result["principal_kind"] == "agent_token"
    assert node_result["principal_scopes"] == ["gate:chat", "gate:models", "gate:usage"]


def test_chat_service(node_result: dict[str, Any]) -> None:
    r = node_result
    assert re.fullmatch(r"chatcmpl-[0-9a-f]{24}", r["chat_id"])
    assert r["chat_object"] == "chat.completion"
    assert r["chat_model"] == "llama-3.1-8b-instant"
    assert r["chat_role"] == "assistant"
    assert r["chat_content"]
    assert r["chat_finish_reason"] == "stop"
    assert int(r["chat_total_tokens"]) > 0
    assert r["chat_provider"] == "groq"
    assert r["chat_requested_model"] == "spideriq/fast"
    assert r["chat_extra_json_is_buffer"] is True


def test_stream_service(node_result: dict[str, Any]) -> None:
    r = node_result
    assert r["stream_chunks"] >= 2
    assert len(r["stream_ids"]) == 1
    assert r["stream_models"] == ["llama-3.1-8b-instant"]
    assert r["stream_first_role"] == "assistant"
    assert r["stream_finish_reason"] == "stop"
    assert r["stream_text"]
    # Same prompt, same model: the streamed text is the unary content.
    assert r["stream_text"] == r["chat_content"]


def test_error_status_and_details(node_result: dict[str, Any]) -> None:
    r = node_result
    assert r["error_code"] == 5  # NOT_FOUND
    assert r["error_code_name"] == "NOT_FOUND"
    assert r["error_status_code"] == 5
    detail = r["error_detail"]
    assert detail is not None, "no ErrorDetail in grpc-status-details-bin"
    assert detail["code"] == "model_not_found"
    assert detail["type"] == "not_found_error"
    assert detail["param"] == "model"
    assert detail["http_status"] == 404
    assert detail["message"] == r["error_details"]
    assert r["error_info"] == {"reason": "model_not_found", "domain": "spidergate.ai"}
