"""A small typed REST client of a running gateway, with the caller's own token.

The MCP server's tools (:mod:`gate_service.mcp_server`) and the human client CLI
(``spidergate chat|models|aliases|usage|traces``) both speak through it, so each tool or
command is one documented REST route called with the caller's token: scopes, tenancy and
validation are exactly the API's (docs/api.md), never a second copy of them here.

The transport is injected: a real connection for the CLI and ``spidergate mcp`` over
stdio, or the bridge's own ASGI app in-process for the MCP endpoint mounted on the bridge
(``httpx.ASGITransport``: no loopback socket, no second authentication path).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from types import TracebackType
from typing import Any
from urllib.parse import quote, urlsplit

import httpx
import orjson

DEFAULT_URL = "http://127.0.0.1:8080"
API_PREFIX = "/api/gate/v1"
# Generous: a chat through a chain of fallbacks can take the gateway's whole deadline.
DEFAULT_TIMEOUT_S = 130.0

Json = dict[str, Any]
QueryValue = str | int | float | bool | None
Query = Mapping[str, QueryValue]


class ApiError(Exception):
    """A refusal of the gateway: the HTTP status and the documented error envelope
    (``{"error": {type, code, message, param}}``, plus any extra top-level fields)."""

    def __init__(self, status: int, envelope: Json) -> None:
        self.status = status
        self.envelope = envelope
        found = envelope.get("error")
        error: Json = found if isinstance(found, dict) else {}
        self.code: str = str(error.get("code") or "http_error")
        self.message: str = str(error.get("message") or f"HTTP {status}")
        super().__init__(f"{self.code}: {self.message}")

    def as_json(self) -> Json:
        """The status and the envelope, as the MCP tools and ``--json`` report them."""
        return {"status": self.status, **self.envelope}


def api_base(url: str) -> str:
    """The API's base URL from a gateway address: ``http://host:port`` gets the canonical
    prefix; a URL that already names a path (``.../v1``) is taken as given."""
    url = url.rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"not an http(s) URL: {url!r}")
    return url if parts.path else url + API_PREFIX


def _params(query: Query | None) -> dict[str, str]:
    """Query parameters as the API reads them: booleans as ``true``/``false``, unset
    (None) left out."""
    out: dict[str, str] = {}
    for key, value in (query or {}).items():
        if value is None:
            continue
        out[key] = ("true" if value else "false") if isinstance(value, bool) else str(value)
    return out


def _segment(value: str) -> str:
    """A path parameter: alias ids keep their '/', everything else is escaped."""
    return quote(value, safe="/:")


def _error(response: httpx.Response, body: bytes) -> ApiError:
    try:
        envelope = orjson.loads(body) if body else {}
    except orjson.JSONDecodeError:
        envelope = {}
    if not isinstance(envelope, dict) or not isinstance(envelope.get("error"), dict):
        text = body[:200].decode("utf-8", "replace")
        envelope = {"error": {"type": "api_error", "code": "http_error", "message": text}}
    return ApiError(response.status_code, envelope)


class GateClient:
    """The gateway's REST routes as typed async methods; every answer is the route's JSON
    (a dict), every refusal an :class:`ApiError`."""

    def __init__(self, http: httpx.AsyncClient, base: str, token: str | None) -> None:
        self._http = http
        self._base = base.rstrip("/")
        self._headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._owned = False
        # The X-Request-Id of the last answer: the trace id of a chat (GET /traces/{id}).
        self.last_request_id = ""

    @classmethod
    def connect(
        cls, url: str, token: str | None, timeout_s: float = DEFAULT_TIMEOUT_S
    ) -> GateClient:
        """A client over the network to the gateway at ``url``; close it (or use it as an
        async context manager)."""
        client = cls(httpx.AsyncClient(timeout=timeout_s), api_base(url), token)
        client._owned = True
        return client

    async def aclose(self) -> None:
        if self._owned:
            await self._http.aclose()

    async def __aenter__(self) -> GateClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    # ------------------------------------------------------------------ transport

    async def send(
        self, method: str, path: str, *, query: Query | None = None, body: Json | None = None
    ) -> Json:
        """One call: the answer's JSON ({} for a 204), or the refusal as ApiError."""
        response = await self._http.request(
            method,
            self._base + path,
            params=_params(query),
            content=None if body is None else orjson.dumps(body),
            headers={
                **self._headers,
                **({"Content-Type": "application/json"} if body is not None else {}),
            },
        )
        self.last_request_id = response.headers.get("x-request-id", "")
        raw = response.content
        if response.status_code >= 400:
            raise _error(response, raw)
        if not raw:
            return {}
        answer = orjson.loads(raw)
        return answer if isinstance(answer, dict) else {"data": answer}

    async def stream(self, path: str, body: Json) -> AsyncIterator[Json]:
        """A server-sent-event stream's JSON events as they arrive, up to ``[DONE]``; an
        error before the first event or as an event is raised as ApiError."""
        request = self._http.build_request(
            "POST",
            self._base + path,
            content=orjson.dumps(body),
            headers={**self._headers, "Content-Type": "application/json"},
        )
        response = await self._http.send(request, stream=True)
        try:
            if response.status_code >= 400:
                raise _error(response, await response.aread())
            self.last_request_id = response.headers.get("x-request-id", "")
            async for line in response.aiter_lines():
                if not line.startswith("data:"):
                    continue
                data = line[5:].strip()
                if data == "[DONE]":
                    return
                event = orjson.loads(data)
                if isinstance(event, dict) and isinstance(event.get("error"), dict):
                    raise ApiError(response.status_code, event)
                yield event
        finally:
            await response.aclose()

    # ------------------------------------------------------------------ chat and catalog

    async def chat(self, body: Json) -> Json:
        """``POST /chat/completions`` (not streamed)."""
        return await self.send("POST", "/chat/completions", body={**body, "stream": False})

    def chat_stream(self, body: Json) -> AsyncIterator[Json]:
        """``POST /chat/completions`` streamed: the chunks as they arrive."""
        return self.stream("/chat/completions", {**body, "stream": True})

    async def models(self, query: Query | None = None) -> Json:
        return await self.send("GET", "/models", query=query)

    async def model(self, model_id: str) -> Json:
        return await self.send("GET", f"/models/{_segment(model_id)}")

    async def aliases(self) -> Json:
        return await self.send("GET", "/aliases")

    async def health(self) -> Json:
        return await self.send("GET", "/health")

    # ------------------------------------------------------------------ analytics

    async def usage(self, query: Query | None = None) -> Json:
        return await self.send("GET", "/usage", query=query)

    async def traces(self, query: Query | None = None) -> Json:
        return await self.send("GET", "/traces", query=query)

    async def trace(self, trace_id: str) -> Json:
        return await self.send("GET", f"/traces/{quote(trace_id, safe='')}")

    async def trace_stats(self, query: Query | None = None) -> Json:
        return await self.send("GET", "/traces/stats", query=query)

    async def stats(self, query: Query | None = None) -> Json:
        return await self.send("GET", "/stats", query=query)

    async def capacity(self, query: Query | None = None) -> Json:
        return await self.send("GET", "/capacity", query=query)

    async def flow(self, query: Query | None = None) -> Json:
        return await self.send("GET", "/flow", query=query)

    # ------------------------------------------------------------------ saved prompts

    async def create_prompt(self, body: Json) -> Json:
        return await self.send("POST", "/prompts", body=body)

    async def prompts(self, query: Query | None = None) -> Json:
        return await self.send("GET", "/prompts", query=query)

    async def search_prompts(self, q: str, query: Query | None = None) -> Json:
        return await self.send("GET", "/prompts/search", query={**(query or {}), "q": q})

    async def prompt(self, prompt_id: str, version: int | None = None) -> Json:
        path = f"/prompts/{quote(prompt_id, safe='')}"
        return await self.send("GET", path, query={"version": version})

    async def delete_prompt(self, prompt_id: str) -> Json:
        return await self.send("DELETE", f"/prompts/{quote(prompt_id, safe='')}")

    # ------------------------------------------------------------------ alias administration

    async def admin_aliases(self) -> Json:
        return await self.send("GET", "/admin/aliases")

    async def admin_alias(self, alias_id: str) -> Json:
        return await self.send("GET", f"/admin/aliases/{_segment(alias_id)}")

    async def validate_chain(self, alias_id: str, body: Json) -> Json:
        return await self.send("POST", f"/admin/aliases/{_segment(alias_id)}/validate", body=body)

    async def set_chain(self, alias_id: str, body: Json) -> Json:
        return await self.send("PUT", f"/admin/aliases/{_segment(alias_id)}/chain", body=body)

    async def rollback_alias(
        self, alias_id: str, history_id: int, reason: str | None = None
    ) -> Json:
        body: Json = {"history_id": history_id}
        if reason is not None:
            body["reason"] = reason
        return await self.send("POST", f"/admin/aliases/{_segment(alias_id)}/rollback", body=body)
