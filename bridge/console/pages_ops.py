"""The console's operations pages: a trace's detail (span waterfall, cost split, captured
messages), agent tokens (mint with the secret shown once, spend per token, revoke) and the
vault (keys with live health, the per-provider recommendation and capacity, add with a
connection test, edit limits and order, activate, deactivate, delete, share to the pool)
and the playground (a streamed chat through any alias, linked to its trace).

Handlers as in :mod:`bridge.console.pages` (wrapped by ``page`` and ``write``); the core
is called through :mod:`bridge.console.ops_calls` with the session's credential, so a
page can do nothing the API would refuse the same credential.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from markupsafe import escape
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response, StreamingResponse

from bridge.console import core_calls, ops_calls
from bridge.console.pages import page, render, write
from bridge.console.sessions import ConsoleUser
from bridge.responses import request_id
from gate_service import errors
from gate_service.auth.principal import ALL_SCOPES, TokenControls
from gate_service.errors import GateError

# The waterfall's drawing: bars on a 0-100 % axis, one row each.
ROW_H = 22


def _core(request: Request) -> Any:
    return request.app.state.core()


# ----------------------------------------------------------------- trace detail


def waterfall(spans: list[dict[str, Any]], total_ms: float) -> dict[str, Any]:
    """The spans as bars: each bar's x and width in percent of the request's span (the
    latency, or the last span's end if later), so the template draws them with SVG
    attributes only (no inline style). A span of no duration gets a thin mark."""
    end = max([total_ms or 0.0] + [s["start_ms"] + s["duration_ms"] for s in spans]) or 1.0
    bars = []
    for i, s in enumerate(spans):
        x = 100.0 * s["start_ms"] / end
        w = max(100.0 * s["duration_ms"] / end, 0.4)
        kind = s["name"]
        if kind == "attempt":
            kind = "attempt-ok" if s.get("outcome") == "success" else "attempt-failed"
        bars.append(
            {
                **s,
                "x": min(x, 99.6),
                "w": min(w, 100.0 - min(x, 99.6)),
                "y": i * ROW_H,
                "kind": kind,
            }
        )
    return {"bars": bars, "end_ms": end, "height": max(len(spans), 1) * ROW_H}


async def _trace(request: Request, user: ConsoleUser) -> Response:
    trace = await ops_calls.trace_detail(
        _core(request), user.secret, request_id(request), request.path_params["trace_id"]
    )
    return render(
        request,
        "trace_detail.html",
        user=user,
        page="traces",
        trace=trace,
        chart=waterfall(trace["spans"], trace.get("latency_ms") or 0.0),
    )


# ----------------------------------------------------------------- agent tokens


async def _token_page(
    request: Request, user: ConsoleUser, minted: dict[str, Any] | None = None, status: int = 200
) -> Response:
    tokens: list[dict[str, Any]] = []
    spend: dict[str, dict[str, Any]] = {}
    unavailable = ""
    if user.kind != "client_credential":
        unavailable = "Agent tokens are managed with the brand's client credential."
    else:
        core, rid = _core(request), request_id(request)
        tokens = await core_calls.agent_tokens(core, user.secret, rid)
        spend = await ops_calls.usage_by_agent(core, user.secret, rid)
    return render(
        request,
        "agent_tokens_ops.html",
        status,
        user=user,
        page="agent-tokens",
        tokens=tokens,
        spend=spend,
        scopes=ALL_SCOPES,
        minted=minted,
        unavailable=unavailable,
    )


async def _agent_tokens(request: Request, user: ConsoleUser) -> Response:
    return await _token_page(request, user)


async def _mint_agent_token(request: Request, user: ConsoleUser) -> Response:
    """Mint, and answer the listing with the new secret in it: this answer is the only
    place it is ever shown (the console keeps it nowhere; loading the page again shows
    the token without it)."""
    form = await request.form()
    minted = await ops_calls.mint_agent_token(
        _core(request),
        user.secret,
        request_id(request),
        _text(form, "name"),
        _scopes(form),
        _token_controls(form),
    )
    return await _token_page(request, user, minted)


async def _edit_agent_token(request: Request, user: ConsoleUser) -> Response:
    """Save a token's controls and scopes as the edit form shows them (the core checks
    them exactly as for ``spidergate token update``)."""
    form = await request.form()
    await ops_calls.update_agent_token(
        _core(request),
        user.secret,
        request_id(request),
        request.path_params["token_id"],
        _token_controls(form),
        _scopes(form),
    )
    return RedirectResponse("/console/agent-tokens", status_code=303)


def _scopes(form: FormData) -> list[str]:
    """The ticked scopes (none ticked: all, as the API reads an empty list)."""
    return [s for s in form.getlist("scopes") if isinstance(s, str)]


def _token_controls(form: FormData) -> TokenControls:
    """A token's controls from the mint or edit form: a blank limit is no limit, the
    allow-list is comma- or space-separated, capture is on / off / the brand's. The core
    validates them (as for ``spidergate token mint``)."""
    capture = _text(form, "capture")
    rpm, rpd = _number(form, "rpm", int), _number(form, "rpd", int)
    return TokenControls(
        rpm=None if rpm is None else int(rpm),
        rpd=None if rpd is None else int(rpd),
        budget_usd=_number(form, "budget_usd", float),
        budget_mode=_text(form, "budget_mode") or "hard",
        allowed_models=frozenset(_text(form, "allowed_models").replace(",", " ").split()),
        free_only=form.get("free_only") == "on",
        capture={"on": True, "off": False}.get(capture),
    )


# ----------------------------------------------------------------- vault


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _number(form: FormData, name: str, kind: type[int] | type[float]) -> int | float | None:
    """A form's number field: empty is None (no limit), anything else must parse."""
    raw = _text(form, name)
    if not raw:
        return None
    try:
        return kind(raw)
    except ValueError:
        raise errors.invalid(f"'{name}' must be a number", name) from None


async def _vault(request: Request, user: ConsoleUser) -> Response:
    if user.kind == "agent_token":
        return render(
            request,
            "vault.html",
            user=user,
            page="vault",
            unavailable="The vault is managed with the brand's client credential or the "
            "operator token.",
        )
    core, rid = _core(request), request_id(request)
    pool = user.kind == "client_credential"
    keys = await ops_calls.vault_keys(core, user.secret, rid, pool)
    health = await ops_calls.vault_health(core, user.secret, rid, pool)
    capacity: dict[str, Any] | None
    try:
        capacity = await ops_calls.capacity(core, user.secret, rid)
    except GateError as exc:
        if exc.http_status == 401:
            raise
        capacity = None  # the page still shows the keys when capacity is refused
    by_id = {k["key_id"]: k for p in health["providers"] for k in p["keys"]}
    return render(
        request,
        "vault.html",
        user=user,
        page="vault",
        keys=keys,
        health=by_id,
        providers=health["providers"],
        capacity={c["provider"]: c for c in (capacity or {}).get("data", [])},
        unavailable="",
    )


def _key_body(form: FormData, *, create: bool) -> dict[str, Any]:
    body: dict[str, Any] = {}
    if create:
        body["provider"] = _text(form, "provider")
        body["secret"] = _text(form, "secret")
        if base_url := _text(form, "base_url"):
            body["base_url"] = base_url
        body["test_connection"] = form.get("test_connection") == "on"
        if model := _text(form, "test_model"):
            body["test_model"] = model
    body["label"] = _text(form, "label")
    for name, kind in (("priority", int), ("rpm_limit", int), ("rpd_limit", int)):
        value = _number(form, name, kind)
        if value is not None or not create:
            if name == "priority" and value is None:
                continue
            body[name] = value
    spend = _number(form, "spend_limit_usd", float)
    if spend is not None or not create:
        body["spend_limit_usd"] = spend
    # Sharing is a brand key's: its forms say they carry the box (an unticked box sends
    # nothing), and a pool key's edit leaves the field out.
    if form.get("has_shared") == "1":
        body["shared"] = form.get("shared") == "on"
    return body


async def _add_key(request: Request, user: ConsoleUser) -> Response:
    """Add a key; with "test connection" the core tries it against the provider first and
    refuses it (shown, with the provider's reason) if it does not work. The secret goes to
    the core in this one call and is never put back in a page."""
    form = await request.form()
    await ops_calls.create_key(
        _core(request), user.secret, request_id(request), _key_body(form, create=True)
    )
    return RedirectResponse("/console/vault", status_code=303)


async def _edit_key(request: Request, user: ConsoleUser) -> Response:
    form = await request.form()
    await ops_calls.update_key(
        _core(request),
        user.secret,
        request_id(request),
        request.path_params["key_id"],
        _key_body(form, create=False),
    )
    return RedirectResponse("/console/vault", status_code=303)


async def _key_action(request: Request, user: ConsoleUser) -> Response:
    action = request.path_params["action"]
    if action not in ("activate", "deactivate", "delete"):
        return render(
            request, "error.html", 404, user, title="Not found", message="No such action."
        )
    await ops_calls.key_action(
        _core(request), user.secret, request_id(request), request.path_params["key_id"], action
    )
    return RedirectResponse("/console/vault", status_code=303)


trace = page(_trace)
agent_tokens = page(_agent_tokens)
mint_agent_token = write(_mint_agent_token)
edit_agent_token = write(_edit_agent_token)
vault = page(_vault)
add_key = write(_add_key)
edit_key = write(_edit_key)
key_action = write(_key_action)


# ----------------------------------------------------------------- playground

# Where the streamed answer and its summary go in the rendered page.
_REPLY_MARK = "\x00reply\x00"
_RESULT_MARK = "\x00result\x00"


def _playground_page(
    request: Request, user: ConsoleUser, aliases: list[str], **context: Any
) -> Response:
    note = ""
    if user.kind != "client_credential":
        note = "The playground sends chats with the brand's client credential."
    return render(
        request,
        "playground.html",
        user=user,
        page="playground",
        aliases=aliases,
        unavailable=note,
        **context,
    )


async def _playground(request: Request, user: ConsoleUser) -> Response:
    aliases: list[str] = []
    if user.kind == "client_credential":
        aliases = await ops_calls.aliases(_core(request), user.secret, request_id(request))
    return _playground_page(request, user, aliases, model="", message="", streaming=False)


async def _send_chat(request: Request, user: ConsoleUser) -> Response:
    """The chat, streamed into the page as it comes: the answer is an HTML document
    written in pieces (the browser renders it as it arrives; no script, no second
    request), ending with the served model, the tokens, the cost once the ledger has it,
    and a link to the trace. A refusal before the first chunk is an ordinary error page."""
    form = await request.form()
    model, message = _text(form, "model"), _text(form, "message")
    if not model or not message:
        raise errors.invalid(
            "a model and a message are required", "model" if not model else "message"
        )
    core, rid = _core(request), request_id(request)
    pieces = await ops_calls.stream_chat(core, user.secret, rid, model, message)
    html = _env_page(request, user, model, message)
    head, rest = html.split(_REPLY_MARK, 1)
    middle, tail = rest.split(_RESULT_MARK, 1)
    env = request.app.state.templates

    async def body() -> AsyncIterator[str]:
        yield head
        served, usage = "", None
        async for piece in pieces:
            served = piece.model or served
            usage = piece.usage or usage
            if piece.text:
                yield f'<span class="chunk">{escape(piece.text)}</span>'
        yield middle
        try:
            cost = await ops_calls.trace_cost(core, user.secret, rid, rid)
        except GateError:
            cost = None  # the answer is out; the trace link still leads to it
        yield env.get_template("playground_result.html").render(
            trace_id=rid, served=served, usage=usage, cost=cost
        )
        yield tail

    return StreamingResponse(body(), media_type="text/html; charset=utf-8")


def _env_page(request: Request, user: ConsoleUser, model: str, message: str) -> str:
    response = _playground_page(
        request,
        user,
        [],
        model=model,
        message=message,
        streaming=True,
        reply_mark=_REPLY_MARK,
        result_mark=_RESULT_MARK,
    )
    return bytes(response.body).decode()


playground = page(_playground)
send_chat = write(_send_chat)
