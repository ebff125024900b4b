"""What the OpenAPI document says of each endpoint beyond its path and method: one
:class:`Op` per handler (summary, who may call it, the views of its query, body and
answer, the reason codes it can give). A route whose handler has none is still listed by
:mod:`bridge.openapi`, marked ``x-undocumented``, and a test fails.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bridge import catalog, chat, usage, vault
from bridge.openapi_views import (
    catalog_shapes,
    chat_request,
    chunk,
    completion,
    queries,
    usage_shapes,
    vault_shapes,
)
from bridge.proto_schema import Schema, View
from spidergate.v1 import catalog_pb2, usage_pb2, vault_pb2


@dataclass(frozen=True, slots=True)
class Op:
    """What the document says of one endpoint beyond its path and method."""

    summary: str
    tag: str
    answer: View | Schema  # the JSON of a success
    # "none": a token is ignored; "optional": checked when sent; "required".
    auth: str = "required"
    scope: str | None = None
    status: int = 200
    query: View | None = None
    path: View | None = None
    body: View | Schema | None = None  # a Schema: a body no proto backs (a translation)
    errors: tuple[str, ...] = ()  # reason codes besides those auth, query and body give
    stream: View | Schema | None = None  # the chunk (or event) of a text/event-stream answer
    # One event's fields (`event`, `data`...) when they are not only chat's `data:` line
    # (OpenAPI 3.1: a text/event-stream schema describes each event).
    stream_frame: Schema | None = None
    # A success's content types when it is not (only) JSON: content type -> its schema
    # (None: ``answer``), e.g. audio bytes, or a transcript as JSON or text.
    media: tuple[tuple[str, Schema | None], ...] = ()
    shed: bool = True  # refused with 503 overloaded at the concurrency bound
    description: str = ""
    # The component of an error's body: our envelope, or another API's error shape
    # (the Messages API answers Anthropic's); and the stream's framing, when not chat's.
    error_schema: str = "Error"
    stream_note: str = ""


_VAULT = (
    "A brand's client credential manages that brand's keys; the operator token manages "
    "pool keys and may read every key; agent tokens are refused (403 permission_denied). "
    "A key outside the caller's reach answers 404 exactly as an unknown id."
)
_CHAT = (
    "The OpenAI chat-completion request; `model` is a task alias, a model id or a "
    "provider-qualified id. Unknown keys are passed on to the provider. A stream's errors "
    "before its first chunk are ordinary JSON errors; after it, one "
    '`data: {"error": ...}` event and then `data: [DONE]`.'
)
_CHAT_ERRORS = (
    *("budget_exceeded", "model_not_allowed", "model_not_found", "no_qualifying_model"),
    *("rate_limit_exceeded", "daily_rate_limit_exceeded", "upstream_error"),
    *("all_providers_failed", "service_unavailable", "no_openai_key", "upstream_timeout"),
    "not_found",  # a saved prompt the brand does not have
)


def operations() -> dict[Callable[..., Any], Op]:
    """Each API endpoint's entry, by its handler."""
    cat, vlt, use, q = catalog_shapes(), vault_shapes(), usage_shapes(), queries()

    def public(summary: str, answer: View, **kw: Any) -> Op:
        return Op(summary, "catalog", answer, auth="optional", **kw)

    def keys(summary: str, answer: View, errors: tuple[str, ...] = (), **kw: Any) -> Op:
        errors = ("permission_denied", *errors)
        return Op(summary, "vault", answer, errors=errors, description=_VAULT, **kw)

    def key(summary: str, answer: View = vlt["key"], **kw: Any) -> Op:
        return keys(summary, answer, ("not_found",), path=View(vault_pb2.GetKeyRequest), **kw)

    def ledger(summary: str, answer: View, **kw: Any) -> Op:
        return Op(summary, "usage", answer, scope="gate:usage", **kw)

    model_id = {
        "model_id": {
            "description": "A catalog id, a model name or an alias; its '/' are sent as is",
            "examples": ["groq/llama-3.1-8b-instant", "gpt-4o"],
        }
    }
    return {
        chat.chat_completions: Op(
            "Create a chat completion (JSON, or Server-Sent Events with stream: true)",
            "chat",
            completion(),
            scope="gate:chat",
            query=q["chat"],
            body=chat_request(),
            stream=chunk(),
            errors=_CHAT_ERRORS,
            description=_CHAT,
        ),
        catalog.health: Op(
            "Liveness and version",
            "catalog",
            cat["health"],
            auth="none",
            errors=("service_unavailable",),
            shed=False,  # never refused at the concurrency bound
        ),
        catalog.list_models: public(
            "Models, filtered, sorted, paged", cat["models"], query=q["models"]
        ),
        catalog.get_model: public(
            "One model (its id may contain '/')",
            cat["model"],
            path=View(catalog_pb2.GetModelRequest, rename={"id": "model_id"}, limits=model_id),
            errors=("model_not_found",),
        ),
        catalog.list_aliases: public("Task aliases and their chains", cat["aliases"]),
        catalog.list_providers: public("Providers, and whether a key exists", cat["providers"]),
        vault.list_keys: keys("The caller's provider keys", vlt["keys"], query=q["vault_keys"]),
        vault.create_key: keys(
            "Store a provider key, optionally tested first",
            vlt["key"],
            status=201,
            body=vlt["create"],
        ),
        vault.get_key: key("One provider key"),
        vault.update_key: key(
            "Change the fields given; null clears a limit or base_url", body=vlt["update"]
        ),
        vault.delete_key: key("Delete a key (its usage history stays)", vlt["deleted"]),
        vault.deactivate_key: key("Stop routing to a key"),
        vault.activate_key: key("Route to a key again, with a clean health record"),
        vault.health_summary: keys(
            "Live health of each key, one recommendation per provider",
            vlt["health"],
            query=q["vault_health"],
        ),
        usage.get_usage: ledger(
            "Totals and breakdowns over a window", use["usage"], query=q["usage"]
        ),
        usage.list_traces: ledger("Requests, newest first", use["traces"], query=q["traces"]),
        usage.get_trace: ledger(
            "One request with every attempt",
            use["trace"],
            path=View(usage_pb2.GetTraceRequest),
            errors=("not_found",),
        ),
    }
