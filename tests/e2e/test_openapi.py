"""The OpenAPI document: served, valid OpenAPI 3.1, complete, generated from the routes and
the proto descriptors, and true of what the gateway really answers."""

from __future__ import annotations

from typing import Any

import httpx
import orjson
import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate
from starlette.routing import Mount, Route

from bridge import openapi
from bridge.app import PREFIXES, create_app
from bridge.prompt_reference import PROMPT_REFERENCE
from gate_service.catalog.query import MAX_LIMIT
from gate_service.chat import validation as chat_rules
from gate_service.errors import CATALOGUE
from gate_service.ledger.record import REQUEST_KINDS
from gate_service.proto_convert import catalog as catalog_convert
from gate_service.proto_convert import usage as usage_convert
from gate_service.proto_convert import vault as vault_convert
from spidergate.v1 import catalog_pb2, common_pb2, vault_pb2
from tests.stack import Stack

Doc = dict[str, Any]


@pytest.fixture(scope="module")
def document(stack: Stack) -> Doc:
    response = httpx.get(f"http://127.0.0.1:{stack.http_port}/openapi.json", timeout=10)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert response.headers["x-request-id"]
    return dict(response.json())


def _validator(doc: Doc, component: str) -> Draft202012Validator:
    # The whole document as the root, so "#/components/..." references resolve.
    return Draft202012Validator({**doc, "$ref": f"#/components/schemas/{component}"})


def _assert_conforms(doc: Doc, component: str, instance: Any) -> None:
    errors = [e.message for e in _validator(doc, component).iter_errors(instance)]
    assert not errors, f"{component}: {errors[:5]}"


def _operations(doc: Doc) -> dict[str, Doc]:
    return {f"{m.upper()} {p}": op for p, item in doc["paths"].items() for m, op in item.items()}


# ------------------------------------------------------------------ the document itself


def test_it_is_valid_openapi_3_1(document: Doc) -> None:
    assert document["openapi"].startswith("3.1")
    validate(document)  # raises on any violation of the OpenAPI 3.1 schema


def test_it_is_public_and_the_same_under_every_prefix(stack: Stack, document: Doc) -> None:
    root = f"http://127.0.0.1:{stack.http_port}"
    for prefix in PREFIXES:
        response = httpx.get(f"{root}{prefix}/openapi.json", timeout=10)  # no token
        assert response.status_code == 200
        assert response.json() == document
    assert [s["url"] for s in document["servers"]] == list(PREFIXES)


def test_every_route_is_an_operation_with_a_description(document: Doc) -> None:
    app = create_app("127.0.0.1:1")
    expected = set()
    for mount in app.routes:
        if isinstance(mount, Mount) and mount.path in openapi.NOT_API_MOUNTS:
            continue  # the console: pages, not API operations
        if isinstance(mount, Mount):
            for route in mount.routes:
                assert isinstance(route, Route)
                path = openapi._CONVERTOR.sub(r"{\1}", route.path)
                expected |= {f"{m} {path}" for m in route.methods or () if m != "HEAD"}
        else:
            assert isinstance(mount, Route), mount
            assert mount.path in openapi.ROOT_ROUTES, mount.path
    operations = _operations(document)
    assert set(operations) == expected
    assert openapi.undocumented(document) == []
    for name, op in operations.items():
        assert op["summary"] and op["operationId"] and op["tags"], name
    ids = [op["operationId"] for op in operations.values()]
    assert len(ids) == len(set(ids))


def test_a_new_route_appears_by_itself_and_is_flagged_until_described() -> None:
    async def brand_new(request: Any) -> Any:
        raise NotImplementedError

    app = create_app("127.0.0.1:1")
    mounts = [r for r in app.routes if isinstance(r, Mount)]
    extra = Mount(mounts[0].path, routes=[Route("/brand-new", brand_new, methods=["PUT"])])
    doc = openapi.build_document([*app.routes, extra])
    assert "put" in doc["paths"]["/brand-new"]
    assert openapi.undocumented(doc) == ["PUT /brand-new"]
    stray = openapi.build_document([*app.routes, Route("/stray", brand_new)])
    assert openapi.undocumented(stray) == ["/stray"]


def test_security_and_scopes(document: Doc) -> None:
    ops = _operations(document)
    assert document["components"]["securitySchemes"]["bearer"] == {
        **document["components"]["securitySchemes"]["bearer"],
        "type": "http",
        "scheme": "bearer",
    }
    assert ops["POST /chat/completions"]["security"] == [{"bearer": ["gate:chat"]}]
    assert ops["GET /usage"]["security"] == [{"bearer": ["gate:usage"]}]
    assert ops["GET /vault/keys"]["security"] == [{"bearer": []}]
    assert ops["GET /models"]["security"] == [{}, {"bearer": []}]  # optional, checked
    assert ops["GET /health"]["security"] == []
    for name, op in ops.items():
        if op["security"] and {} not in op["security"]:
            assert {"401", "503"} <= set(op["responses"]), name


def test_every_error_is_the_envelope_with_codes_of_its_status(document: Doc) -> None:
    error = document["components"]["schemas"]["Error"]
    assert error["properties"]["error"]["required"] == ["type", "code", "message", "param"]
    assert set(error["properties"]["error"]["properties"]["code"]["enum"]) == set(CATALOGUE)
    for name, op in _operations(document).items():
        for status, response in op["responses"].items():
            if int(status) < 400:
                continue  # a success may be no JSON (audio bytes)
            schema = response["content"]["application/json"]["schema"]
            # The Messages API answers in Anthropic's shape (with our code in it).
            shape = "AnthropicError" if name.startswith("POST /messages") else "Error"
            assert schema["allOf"][0] == {"$ref": f"#/components/schemas/{shape}"}, name
            codes = schema["allOf"][1]["properties"]["error"]["properties"]["code"]["enum"]
            for code in codes:
                also = openapi.ALSO_STATUS.get(code, ())
                assert int(status) in {CATALOGUE[code].http_status, *also}, (name, code)
            assert "X-Request-Id" in response["headers"], name
    chat = _operations(document)["POST /chat/completions"]["responses"]
    assert {"400", "401", "402", "403", "404", "413", "422", "429", "502", "503", "504"} <= set(
        chat
    )
    assert "text/event-stream" in chat["200"]["content"]
    assert "Retry-After" in chat["429"]["headers"]
    assert "WWW-Authenticate" in chat["401"]["headers"]


# ------------------------------------------------------------------ derived, not written


def test_request_fields_come_from_the_descriptor(document: Doc) -> None:
    props = document["components"]["schemas"]["ChatCompletionRequest"]["properties"]
    fields = {f.name for f in common_pb2.ChatCompletionRequest.DESCRIPTOR.fields}
    # Plus the keys naming a saved prompt, which the core reads among the extras.
    assert set(props) == fields - {"include_route_trace", "extra_json"} | set(PROMPT_REFERENCE)
    # proto3 optional int32 -> nullable int32, narrowed by the validator's range.
    assert props["n"]["type"] == ["integer", "null"]
    assert (props["n"]["minimum"], props["n"]["maximum"]) == chat_rules._RANGES["n"]
    assert props["seed"]["maximum"] == 2**63 - 1 and props["seed"]["format"] == "int64"
    assert props["max_tokens"]["maximum"] == 2**31 - 1
    options = document["components"]["schemas"]["SpidergateOptions"]["properties"]
    low, high = chat_rules.OPTION_RANGES["cache_ttl_seconds"]
    assert options["cache_ttl_seconds"]["minimum"] == low
    assert options["cache_ttl_seconds"]["maximum"] == high
    query = {p["name"]: p for p in _operations(document)["GET /models"]["parameters"]}
    assert query["limit"]["schema"]["maximum"] == MAX_LIMIT


def test_forwarded_input_fields_are_no_client_parameter(document: Doc) -> None:
    """``raw_query`` / ``raw_body`` carry what the bridge could not type (the core reads
    them after authentication): no query parameter and no body key of the document."""
    text = orjson.dumps(document).decode()
    assert "raw_query" not in text and "raw_body" not in text
    ops = _operations(document)
    params = {p["name"] for p in ops["GET /models"]["parameters"]}
    assert params == {f.name for f in catalog_pb2.ListModelsRequest.DESCRIPTOR.fields} - {
        "raw_query"
    }
    create = document["components"]["schemas"]["VaultKeyCreate"]
    assert set(create["properties"]) == {
        f.name for f in vault_pb2.CreateKeyRequest.DESCRIPTOR.fields
    } - {"raw_body"}
    assert create["additionalProperties"] is False  # still closed: an unknown key is a 400


def test_enum_words_are_the_converters(document: Doc) -> None:
    """The words derived from the proto enums are the ones the converters accept."""
    schemas = document["components"]["schemas"]
    key = schemas["VaultKey"]["properties"]
    assert key["state"]["enum"] == list(vault_convert.STATES)
    assert key["spend_period"]["enum"] == list(vault_convert.PERIODS)
    assert key["spend_action"]["enum"] == list(vault_convert.ACTIONS)
    models = {p["name"]: p for p in _operations(document)["GET /models"]["parameters"]}
    assert models["sort_by"]["schema"]["enum"] == list(catalog_convert.SORTS)
    usage = {p["name"]: p for p in _operations(document)["GET /usage"]["parameters"]}
    assert usage["bucket"]["schema"]["enum"] == list(usage_convert.BUCKETS)
    traces = {p["name"]: p for p in _operations(document)["GET /traces"]["parameters"]}
    trace = schemas["TraceDetail"]["properties"]["kind"]
    for kind in (usage["kind"]["schema"], traces["kind"]["schema"], trace):
        assert kind["enum"] == list(REQUEST_KINDS)


# ------------------------------------------------------------------ true of the answers


def test_real_answers_conform(stack: Stack, token: str, document: Doc) -> None:
    auth = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=stack.base_url, headers=auth, timeout=30) as client:
        chat = {"model": "llama-3.1-8b-instant", "messages": [{"role": "user", "content": "hi"}]}
        response = client.post("/chat/completions?include_route_trace=true", json=chat)
        assert response.status_code == 200
        _assert_conforms(document, "ChatCompletion", response.json())
        for path, component in (
            ("/models?limit=3", "ModelList"),
            ("/models/groq/llama-3.1-8b-instant", "Model"),
            ("/aliases", "AliasList"),
            ("/providers", "ProviderList"),
            ("/health", "Health"),
            ("/usage", "UsageReport"),
            ("/traces?limit=5", "TracePage"),
        ):
            response = client.get(path)
            assert response.status_code == 200, (path, response.text)
            _assert_conforms(document, component, response.json())
        missing = client.get("/models/no-such-model")
        assert missing.status_code == 404
        _assert_conforms(document, "Error", missing.json())


def test_stream_events_conform(stack: Stack, token: str, document: Doc) -> None:
    chat = {
        "model": "llama-3.1-8b-instant",
        "messages": [{"role": "user", "content": "count to five"}],
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    headers = {"Authorization": f"Bearer {token}"}
    url = f"{stack.base_url}/chat/completions"
    with httpx.stream("POST", url, json=chat, headers=headers, timeout=30) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        events = [line[6:] for line in response.iter_lines() if line.startswith("data: ")]
    assert events[-1] == "[DONE]" and len(events) > 2
    for event in events[:-1]:
        _assert_conforms(document, "ChatCompletionChunk", orjson.loads(event))


def test_responses_stream_events_conform(stack: Stack, token: str, document: Doc) -> None:
    """The Responses stream is framed as documented (``event:`` then ``data:``, no
    ``[DONE]``), and each event's JSON matches the documented event shape, the tool
    call's events included."""
    operation = _operations(document)["POST /responses"]["responses"]["200"]["content"]
    stream = operation["text/event-stream"]
    frame = stream["schema"]  # one event: its `event:` and `data:` lines
    assert frame["properties"]["data"]["contentSchema"] == stream["x-spidergate-event"]
    framing = Draft202012Validator({**document, **frame})
    payload = Draft202012Validator({**document, **stream["x-spidergate-event"]})
    body = {
        "model": "llama-3.1-8b-instant",
        "input": "Where is order 42?",
        "tools": [{"type": "function", "name": "lookup", "parameters": {"type": "object"}}],
        "tool_choice": "required",
        "stream": True,
    }
    headers = {"Authorization": f"Bearer {token}"}
    url = f"{stack.base_url}/responses"
    with httpx.stream("POST", url, json=body, headers=headers, timeout=30) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        lines = [line for line in response.iter_lines() if line]
    assert "data: [DONE]" not in lines
    frames = [
        {"event": name.removeprefix("event: "), "data": data.removeprefix("data: ")}
        for name, data in zip(lines[::2], lines[1::2], strict=True)
    ]
    names = [f["event"] for f in frames]
    assert len(frames) > 2 and names[0] == "response.created"
    assert names[-1] == "response.completed"
    assert "response.function_call_arguments.delta" in names
    for f in frames:
        event = orjson.loads(f["data"])
        assert event["type"] == f["event"]
        errors = [e.message for e in framing.iter_errors(f)]
        errors += [e.message for e in payload.iter_errors(event)]
        assert not errors, (f["event"], errors[:5])
