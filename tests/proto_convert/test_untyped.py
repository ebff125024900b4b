"""The core reads a forwarded query string exactly as the bridge's ``request.query_params``
does, so a parser sees the same values on both sides (and answers the same 400)."""

from __future__ import annotations

import pytest
from starlette.datastructures import QueryParams

from gate_service.errors import GateError
from gate_service.proto_convert.untyped import parse_json, query_params

QUERIES = [
    "",
    "bucket=week",
    "limit=1&limit=2",  # the last one wins
    "a=&b",  # blank values are kept, as empty strings
    "from=2026-01-01T00%3A00%3A00%2B02%3A00",
    "search=a+b%20c",
    "x=%FF%fe&y=caf\u00e9",  # not UTF-8 once decoded; a Latin-1 character as sent
    "&&=v&k==",
]


@pytest.mark.parametrize("raw", QUERIES)
def test_a_query_string_reads_as_starlette_reads_it(raw: str) -> None:
    theirs = QueryParams(raw.encode("latin-1"))
    assert query_params(raw) == {k: theirs[k] for k in theirs}


def test_a_body_is_read_as_the_bridge_reads_it() -> None:
    assert parse_json(b'{"a": 1}', 2, dict) == {"a": 1}
    for raw, message in ((b"[", "not valid JSON"), (b"[1]", "must be a JSON object")):
        with pytest.raises(GateError, match=message):
            parse_json(raw, 2, dict)
    with pytest.raises(GateError) as caught:
        parse_json(b'{"a": [[1]]}', 2, dict)
    assert caught.value.param == "a[0]"
