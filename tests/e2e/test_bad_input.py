"""Bad input gets a 4xx in the documented envelope, never a 500 or plain text.

Every input listed in issue 8 (JSON nested past orjson's limits in an unknown field, tool
parameters, message extras and response_format schemas; ``seed`` 1e19 and 1e308;
``tool_calls[].index`` of 2^31; ``/models?offset=`` with 40 digits; a non-ASCII
``Authorization`` header), every ``int32``/``int64`` field of the request protos fed a
number past its range, and the same faults sent by a gRPC client straight to the core.
Each goes through the bridge with the core apart (real gRPC: the ``stack`` fixture) and
in one process (the in-process client ``spidergate serve`` uses).
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Iterator
from typing import Any

import grpc
import httpx
import orjson
import pytest

from bridge.app import create_app
from gate_service.proto_convert.errors import from_rpc_error
from gate_service.servicers.inprocess import LocalCoreClient
from spidergate.v1 import chat_pb2, chat_pb2_grpc, common_pb2
from tests.stack import Stack

CHAT = "/api/gate/v1/chat/completions"
MODEL = "llama-3.1-8b-instant"
HI = [{"role": "user", "content": "hi"}]
INT32 = 2**31
_names = itertools.count()

# method, path, raw body (or None), headers -> response
Headers = list[tuple[bytes, bytes]]
Send = Callable[[str, str, bytes | None, Headers], httpx.Response]


def _network(stack: Stack) -> Send:
    def send(method: str, path: str, body: bytes | None, headers: Headers) -> httpx.Response:
        return httpx.request(
            method,
            f"http://127.0.0.1:{stack.http_port}{path}",
            content=body,
            headers=headers,
            timeout=30,
        )

    return send


def _in_process(stack: Stack) -> Send:
    def send(method: str, path: str, body: bytes | None, headers: Headers) -> httpx.Response:
        async def go() -> httpx.Response:
            app = create_app(client_factory=lambda: LocalCoreClient(stack.core))
            app.state.core = LocalCoreClient(stack.core)  # ASGITransport runs no lifespan
            transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
            async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as c:
                return await c.request(method, path, content=body, headers=headers)

        return stack.run(go())

    return send


@pytest.fixture(params=["network", "in-process"])
def send(request: pytest.FixtureRequest, stack: Stack) -> Iterator[Send]:
    yield _network(stack) if request.param == "network" else _in_process(stack)


@pytest.fixture(scope="module")
def brand(stack: Stack) -> tuple[str, str]:
    """(agent token, client credential) of a brand of this module's own."""
    view, credential = stack.core.identity.create_brand(f"bad-input-{next(_names)}")
    _, token = stack.core.identity.mint_token(view.client_id, "agent", None)
    return str(token), str(credential)


def _nested(depth: int, leaf: str = "1") -> str:
    """JSON text of ``depth`` arrays and objects nested alternately around ``leaf``."""
    text = leaf
    for i in range(depth):
        text = f"[{text}]" if i % 2 else f'{{"a":{text}}}'
    return text


def _chat(extra: str = "", messages: str | None = None) -> bytes:
    messages = messages if messages is not None else orjson.dumps(HI).decode()
    return f'{{"model":"{MODEL}","messages":{messages}{extra}}}'.encode()


def _envelope(r: httpx.Response, status: int, code: str, param: str | None = None) -> None:
    """A ``status`` answer in the envelope with ``code`` (and ``param`` if given)."""
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/json"), r.headers
    error = r.json()["error"]
    assert set(error) >= {"type", "code", "message", "param"}, error
    assert error["code"] == code, error
    if param is not None:
        assert error["param"] == param, error


# ------------------------------------------------------------------ deep JSON

DEEP_PLACES: dict[str, Callable[[str], bytes]] = {
    "an unknown field": lambda deep: _chat(f',"zz":{deep}'),
    "tool parameters": lambda deep: _chat(
        f',"tools":[{{"type":"function","function":{{"name":"f","parameters":{deep}}}}}]'
    ),
    "a message extra": lambda deep: _chat(
        messages=f'[{{"role":"user","content":"hi","extra":{deep}}}]'
    ),
    "a content part extra": lambda deep: _chat(
        messages=f'[{{"role":"user","content":[{{"type":"text","text":"hi","x":{deep}}}]}}]'
    ),
    "a response_format schema": lambda deep: _chat(
        f',"response_format":{{"type":"json_schema","json_schema":{deep}}}'
    ),
    "a tool_choice object": lambda deep: _chat(f',"tool_choice":{{"type":"custom","x":{deep}}}'),
    "spidergate_options": lambda deep: _chat(f',"spidergate_options":{{"x":{deep}}}'),
}
PARAMS = {
    "an unknown field": "zz",
    "tool parameters": "tools[0].function.parameters",
    "a message extra": "messages[0].extra",
    "a content part extra": "messages[0].content[0].x",
    "a response_format schema": "response_format.json_schema",
    "a tool_choice object": "tool_choice.x",
    "spidergate_options": "spidergate_options.x",
}


@pytest.mark.parametrize("place", DEEP_PLACES)
@pytest.mark.parametrize("depth", [70, 300, 1_000])
def test_json_nested_too_deep_is_a_400_naming_where(
    send: Send, brand: tuple[str, str], place: str, depth: int
) -> None:
    """Past the bound (64) and past orjson's own limits (254 to write, 1,024 to read,
    which answered 500 before): a 400 whose param starts with the path to the nesting."""
    token = brand[0]
    r = send("POST", CHAT, DEEP_PLACES[place](_nested(depth)), _auth(token))
    _envelope(r, 400, "invalid_request")
    assert r.json()["error"]["param"].startswith(PARAMS[place]), r.json()


def test_json_too_deep_for_orjson_to_read_is_not_json(send: Send, brand: tuple[str, str]) -> None:
    r = send("POST", CHAT, _chat(f',"zz":{_nested(2_000)}'), _auth(brand[0]))
    _envelope(r, 400, "invalid_request")
    assert "not valid JSON" in r.json()["error"]["message"]


def test_json_within_the_bound_is_served(send: Send, brand: tuple[str, str]) -> None:
    """60 levels inside tool parameters (64 counting the request's own) pass."""
    body = DEEP_PLACES["tool parameters"](_nested(60))
    r = send("POST", CHAT, body, _auth(brand[0]))
    assert r.status_code == 200, r.text


# ------------------------------------------------------------------ numbers

OUT_OF_RANGE: list[tuple[str, str | None]] = [
    # (JSON fragment, the param named)
    (',"seed":1e19', "seed"),
    (',"seed":-1e19', "seed"),
    (',"seed":1e308', "seed"),
    (',"seed":10000000000000000000', "seed"),
    (',"n":2147483648', "n"),
    (',"n":1e300', "n"),
    (',"max_tokens":2147483648', "max_tokens"),
    (',"max_completion_tokens":-2147483649', "max_completion_tokens"),
    (',"top_logprobs":1e10', "top_logprobs"),
    (',"temperature":1' + "0" * 400, None),  # infinity: not JSON orjson reads
    (',"spidergate_options":{"timeout_ms":2147483648}', "spidergate_options.timeout_ms"),
    (',"spidergate_options":{"retry_count":1e19}', "spidergate_options.retry_count"),
    (',"spidergate_options":{"cache_ttl_seconds":1e308}', "spidergate_options.cache_ttl_seconds"),
    (',"spidergate_options":{"max_cost_usd":1e308}', "spidergate_options.max_cost_usd"),
]


@pytest.mark.parametrize(("fragment", "param"), OUT_OF_RANGE)
def test_numbers_past_their_field_are_a_400(
    send: Send, brand: tuple[str, str], fragment: str, param: str | None
) -> None:
    r = send("POST", CHAT, _chat(fragment), _auth(brand[0]))
    _envelope(r, 400, "invalid_request", param)


@pytest.mark.parametrize("index", [INT32, -INT32 - 1, 1e19, 1e308])
def test_tool_call_index_past_int32_is_a_400(
    send: Send, brand: tuple[str, str], index: float
) -> None:
    messages = orjson.dumps(
        [
            {"role": "user", "content": "hi"},
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "index": index,
                        "id": "call_1",
                        "type": "function",
                        "function": {"name": "f", "arguments": "{}"},
                    }
                ],
            },
            {"role": "tool", "content": "1", "tool_call_id": "call_1"},
        ]
    ).decode()
    r = send("POST", CHAT, _chat(messages=messages), _auth(brand[0]))
    _envelope(r, 400, "invalid_request", "messages[1].tool_calls[0].index")


@pytest.mark.parametrize(
    ("query", "param"),
    [
        ("offset=" + "9" * 40, "offset"),
        ("offset=2147483648", "offset"),
        ("limit=" + "9" * 40, "limit"),
    ],
)
def test_models_paging_past_int32_is_a_400(
    send: Send, brand: tuple[str, str], query: str, param: str
) -> None:
    for who in ([], _auth(brand[0])):
        r = send("GET", f"/v1/models?{query}", None, who)
        _envelope(r, 400, "invalid_request", param)


@pytest.mark.parametrize(
    "query", ["limit=" + "9" * 40, "offset=" + "9" * 40, "from=" + "9" * 40, "to=1e999"]
)
def test_traces_paging_past_int32_is_a_400(send: Send, brand: tuple[str, str], query: str) -> None:
    r = send("GET", f"/v1/traces?{query}", None, _auth(brand[0]))
    _envelope(r, 400, "invalid_request")


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"priority": 1e19}, "priority"),
        ({"priority": INT32}, "priority"),
        ({"rpm_limit": 10**30}, "rpm_limit"),
        ({"rpd_limit": -(10**19)}, "rpd_limit"),
    ],
)
def test_vault_numbers_past_their_field_are_a_400(
    send: Send, brand: tuple[str, str], body: dict[str, Any], param: str
) -> None:
    credential = brand[1]
    payload = json.dumps({"provider": "groq", "secret": "gsk_" + "a" * 40, **body}).encode()
    r = send("POST", "/v1/vault/keys", payload, _auth(credential))
    _envelope(r, 400, "invalid_request", param)
    r = send("PATCH", "/v1/vault/keys/key_nope", json.dumps(body).encode(), _auth(credential))
    assert r.status_code in (400, 404), r.text  # either fault first; never a 500
    _envelope(r, r.status_code, r.json()["error"]["code"])


def test_vault_json_too_deep_is_a_400(send: Send, brand: tuple[str, str]) -> None:
    body = f'{{"provider":"groq","secret":"gsk_x","label":{_nested(300)}}}'.encode()
    r = send("POST", "/v1/vault/keys", body, _auth(brand[1]))
    _envelope(r, 400, "invalid_request")
    assert r.json()["error"]["param"].startswith("label"), r.json()


# ------------------------------------------------------------------ headers


NON_ASCII = [b"Bearer spideriq_pat_\xc3\xa9t\xc3\xa9", b"Bearer \xff\xfe", b"\xe2\x82\xac"]
ROUTES = [
    ("POST", CHAT, _chat()),
    ("POST", CHAT, _chat(',"stream":true')),
    ("POST", CHAT, b"not json"),
    ("GET", "/v1/models", None),
    ("GET", "/v1/models?limit=-1", None),
    ("GET", "/v1/models/gpt-4o", None),
    ("GET", "/v1/aliases", None),
    ("GET", "/v1/providers", None),
    ("GET", "/v1/usage", None),
    ("GET", "/v1/traces", None),
    ("GET", "/v1/traces/req_1", None),
    ("GET", "/v1/vault/keys", None),
    ("POST", "/v1/vault/keys", b'{"provider":"groq","secret":"x"}'),
    ("GET", "/v1/vault/health", None),
]


@pytest.mark.parametrize("value", NON_ASCII)
def test_a_non_ascii_authorization_is_a_401(send: Send, value: bytes) -> None:
    """gRPC metadata is ASCII: with the core apart this was a 500. Now the same 401
    ``invalid_token_format`` the core gives any malformed token, on every route."""
    for method, path, body in ROUTES:
        r = send(method, path, body, [(b"Authorization", value)])
        _envelope(r, 401, "invalid_token_format")
        assert r.headers["www-authenticate"] == "Bearer", path


def test_health_ignores_a_non_ascii_authorization(send: Send) -> None:
    r = send("GET", "/v1/health", None, [(b"Authorization", NON_ASCII[0])])
    assert r.status_code == 200, r.text


def _auth(token: str) -> Headers:
    return [(b"Authorization", f"Bearer {token}".encode()), (b"Content-Type", b"application/json")]


# ------------------------------------------------------------------ gRPC clients


@pytest.fixture
def grpc_chat(stack: Stack) -> Iterator[Callable[[common_pb2.ChatCompletionRequest, str], Any]]:
    channel = grpc.insecure_channel(stack.grpc_target)
    stub = chat_pb2_grpc.ChatServiceStub(channel)

    def call(request: common_pb2.ChatCompletionRequest, token: str) -> Any:
        return stub.CreateChatCompletion(
            chat_pb2.CreateChatCompletionRequest(request=request),
            metadata=(("authorization", f"Bearer {token}"),),
            timeout=30,
        )

    yield call
    channel.close()


def _grpc_request(**fields: Any) -> common_pb2.ChatCompletionRequest:
    request = common_pb2.ChatCompletionRequest(model=MODEL, **fields)
    request.messages.add(role="user", text="hi")
    return request


@pytest.mark.parametrize(
    ("fields", "param"),
    [
        ({"temperature": float("nan")}, "temperature"),
        ({"top_p": float("inf")}, "top_p"),
        ({"presence_penalty": float("-inf")}, "presence_penalty"),
        ({"extra_json": b"{not json"}, None),
        ({"extra_json": ('{"zz":' + _nested(2_000) + "}").encode()}, None),
        ({"extra_json": ('{"zz":' + _nested(100) + "}").encode()}, "zz"),
    ],
)
def test_grpc_clients_get_the_same_400s(
    grpc_chat: Callable[..., Any], brand: tuple[str, str], fields: dict[str, Any], param: str
) -> None:
    """The core checks what a gRPC client sends without the bridge: non-finite floats,
    ``*_json`` bytes that are not JSON or nest too deep: INVALID_ARGUMENT with the 400."""
    with pytest.raises(grpc.RpcError) as caught:
        grpc_chat(_grpc_request(**fields), brand[0])
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    error = from_rpc_error(caught.value)
    assert (error.http_status, error.code) == (400, "invalid_request"), error
    if param is not None:
        assert (error.param or "").startswith(param), error


def test_grpc_max_cost_nan_is_a_400(grpc_chat: Callable[..., Any], brand: tuple[str, str]) -> None:
    request = _grpc_request()
    request.spidergate_options.max_cost_usd = float("nan")
    with pytest.raises(grpc.RpcError) as caught:
        grpc_chat(request, brand[0])
    error = from_rpc_error(caught.value)
    assert (error.http_status, error.param) == (400, "spidergate_options.max_cost_usd")


@pytest.fixture(scope="module")
def pg_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """A gateway on PostgreSQL, which refuses a NUL in any text it is asked to compare."""
    from tests.db_backends import fresh_postgres_database
    from tests.stack import make_settings

    with fresh_postgres_database() as url:
        s = Stack(make_settings(tmp_path_factory.mktemp("bad-input-pg"), url)).start()
        yield s
        s.stop()


@pytest.mark.parametrize(
    ("path", "status", "param"),
    [
        ("/api/gate/v1/traces?agent=%00", 400, "agent"),
        ("/api/gate/v1/traces?model=a%00b", 400, "model"),
        ("/api/gate/v1/traces?agent=%0A", 400, "agent"),
        ("/api/gate/v1/traces/%00", 404, "trace_id"),
        ("/api/gate/v1/traces?status=%C2%B2%C2%B2", 400, "status"),  # digits, not ASCII
    ],
)
def test_trace_filters_no_row_can_hold_are_4xx_on_postgresql(
    pg_stack: Stack, path: str, status: int, param: str
) -> None:
    _, credential = pg_stack.core.identity.create_brand(f"bad-input-{next(_names)}")
    r = httpx.get(
        f"http://127.0.0.1:{pg_stack.http_port}{path}",
        headers={"Authorization": f"Bearer {credential}"},
        timeout=30,
    )
    assert (r.status_code, r.json()["error"]["param"]) == (status, param), r.text
