"""What a system under test is: how it starts, what request it is sent, how its answers
are checked; and that request, the same for every system.

The systems themselves (the bare mock, SpiderGate and the competitors) are in
:mod:`systems`.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path

from grpc_load import CHAT_METHOD, STREAM_METHOD, GrpcTarget
from harness import GATEWAY_CORE, BenchError, Managed, ProcessRegistry, http_request
from wrk import Target

#: The model clients ask for (SpiderGate's demo catalogue name; the competitors are
#: configured to answer to it too, or pass it straight through to the mock).
MODEL = "spideriq/fast"
#: What the competitors ask the mock for (LiteLLM maps MODEL to ``openai/UPSTREAM_MODEL``).
UPSTREAM_MODEL = "gpt-4o-mini"
PROMPT = "Say hello in three languages."


#: The embeddings request: one input, base64 (what the openai SDK asks for by default).
EMBEDDINGS_PAYLOAD: dict[str, object] = {
    "model": "agent/embed",
    "input": PROMPT,
    "encoding_format": "base64",
}


@dataclass(frozen=True)
class Surface:
    """A mode beyond chat that a system may serve: the path under its API prefix, the
    request, and what an answer must hold to count as served (a marker in the body), so
    a route that answers 200 with nothing in it fails verification instead of being timed."""

    path: str
    payload: dict[str, object]
    marker: str


#: The surfaces beside chat, by mode. The Responses and Messages modes ask the same
#: alias for the same prompt as chat's, so their requests/s compare with chat's directly:
#: what differs is the translation at the edge. Responses are stored (``store`` left to its
#: default, true, as the SDKs leave it), so their mode pays the stored write too.
SURFACES: dict[str, Surface] = {
    "embeddings": Surface("/embeddings", EMBEDDINGS_PAYLOAD, '"embedding":"'),
    "responses": Surface("/responses", {"model": MODEL, "input": PROMPT}, '"output_text"'),
    "responses-stream": Surface(
        "/responses",
        {"model": MODEL, "input": PROMPT, "stream": True},
        "response.completed",
    ),
    "messages": Surface(
        "/v1/messages",
        {"model": MODEL, "max_tokens": 256, "messages": [{"role": "user", "content": PROMPT}]},
        '"type":"text"',
    ),
    "messages-stream": Surface(
        "/v1/messages",
        {
            "model": MODEL,
            "max_tokens": 256,
            "messages": [{"role": "user", "content": PROMPT}],
            "stream": True,
        },
        "message_stop",
    ),
}


#: The gRPC modes, by whether they stream: ``ChatService.CreateChatCompletion`` and
#: ``StreamService.StreamChatCompletion`` called directly on the gateway's gRPC port (no
#: bridge), with chat's alias and prompt, so their requests/s compare with json's and
#: stream's in the same run. Only SpiderGate has a gRPC API; other systems skip them.
GRPC_MODES: dict[str, bool] = {"grpc": False, "grpc-stream": True}


def chat_payload(model: str, stream: bool) -> dict[str, object]:
    payload: dict[str, object] = {
        "model": model,
        "messages": [{"role": "user", "content": PROMPT}],
    }
    if stream:
        payload["stream"] = True
    return payload


def grpc_chat_target(address: str, token: str, model: str, stream: bool) -> GrpcTarget:
    """:func:`chat_payload` as the gRPC request a client of the gateway's gRPC API sends
    (the message the bridge builds from that JSON), with the token in the metadata."""
    from spidergate.v1 import chat_pb2, common_pb2, stream_pb2

    chat = common_pb2.ChatCompletionRequest(
        model=model, messages=[common_pb2.ChatMessage(role="user", text=PROMPT)]
    )
    if stream:
        chat.stream = True
        request = stream_pb2.StreamChatCompletionRequest(request=chat).SerializeToString()
    else:
        request = chat_pb2.CreateChatCompletionRequest(request=chat).SerializeToString()
    return GrpcTarget(
        address=address,
        method=STREAM_METHOD if stream else CHAT_METHOD,
        request=request,
        metadata=(("authorization", f"Bearer {token}"),),
        streaming=stream,
    )


@dataclass
class Context:
    """What every system needs to start: the process registry, a scratch dir, the mock."""

    registry: ProcessRegistry
    work_dir: Path
    mock_url: str
    startup_timeout: float


class System(ABC):
    """A gateway (or the bare mock) under test."""

    key: str = ""
    label: str = ""
    #: The core the system's processes are pinned to.
    core: str = GATEWAY_CORE

    def __init__(self) -> None:
        self.proc: Managed | None = None
        self.base_url = ""
        #: Seconds from the server process's start to its first successful health
        #: answer (None: nothing was started, or it never answered).
        self.ready_s: float | None = None

    @abstractmethod
    def start(self, ctx: Context) -> None:
        """Start and wait until ready; raise :class:`BenchError` if it cannot."""

    @abstractmethod
    def target(self, stream: bool) -> Target:
        """The authenticated chat-completion request wrk sends."""

    def surface_target(self, mode: str) -> Target | None:
        """The authenticated request wrk sends in a :data:`SURFACES` mode; None if the
        system does not serve that surface."""
        return None

    def grpc_target(self, stream: bool) -> GrpcTarget | None:
        """The gRPC call of a :data:`GRPC_MODES` mode; None if the system has no gRPC API."""
        return None

    def verify_surface(self, mode: str) -> str:
        """One request of a :data:`SURFACES` mode; raise unless it answers 200 with the
        surface's marker. Returns what the log says of it."""
        target = self.surface_target(mode)
        assert target is not None
        try:
            reply = http_request(
                target.url, method=target.method, body=target.body, headers=target.headers
            )
        except OSError as exc:
            raise BenchError(f"{self.label}: {mode} request failed: {exc}") from exc
        text = reply.text()
        if reply.status != 200 or SURFACES[mode].marker not in text.replace(": ", ":"):
            raise BenchError(f"{self.label}: {mode} answered HTTP {reply.status}: {text[:300]}")
        return f"{mode}: 200 ({len(text)} bytes)"

    def version(self) -> str:
        return ""

    def stop(self, ctx: Context) -> None:
        if self.proc is not None:
            ctx.registry.stop(self.proc)
            self.proc = None

    def verify(self) -> str:
        """One non-streaming and one streaming request; raise unless both carry a completion.

        Returns the non-streaming completion text, for the log.
        """
        text = ""
        for stream in (False, True):
            target = self.target(stream)
            try:
                reply = http_request(
                    target.url,
                    method=target.method,
                    body=target.body,
                    headers=target.headers,
                    timeout=30,
                )
            except OSError as exc:
                raise BenchError(f"{self.label}: request failed: {exc}") from exc
            mode = "streaming" if stream else "non-streaming"
            if reply.status != 200:
                raise BenchError(
                    f"{self.label}: {mode} request answered HTTP {reply.status}: "
                    f"{reply.text()[:300]}"
                )
            content = stream_content(reply.text()) if stream else json_content(reply.text())
            if not content:
                raise BenchError(
                    f"{self.label}: {mode} answer carries no completion text: {reply.text()[:300]}"
                )
            if not stream:
                text = content
        return text


def json_content(text: str) -> str:
    """``choices[0].message.content`` of a chat completion, or ``""``."""
    try:
        data = json.loads(text)
        return str(data["choices"][0]["message"]["content"] or "")
    except (ValueError, KeyError, IndexError, TypeError):
        return ""


def stream_content(text: str) -> str:
    """The concatenated ``delta.content`` of an SSE chat-completion stream, or ``""``."""
    parts: list[str] = []
    for line in text.splitlines():
        if not line.startswith("data:"):
            continue
        data = line[5:].strip()
        if not data or data == "[DONE]":
            continue
        try:
            chunk = json.loads(data)
            delta = chunk["choices"][0].get("delta") or {}
        except (ValueError, KeyError, IndexError, TypeError, AttributeError):
            continue
        if delta.get("content"):
            parts.append(str(delta["content"]))
    return "".join(parts)
