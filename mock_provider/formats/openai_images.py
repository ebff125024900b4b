"""The mock's OpenAI ``/images/generations`` and ``/moderations`` endpoints.

Deterministic, like the chat model (:mod:`mock_provider.behaviour`): the image is a small
valid PNG (16x16, one colour taken from a hash of the prompt and the image's index), built
with zlib and struct; ``b64_json`` carries its bytes, ``url`` points at the mock itself
(``<prefix>/files/img-<rrggbb>.png``, served by the mock from the name alone, so nothing is
stored). Moderation flags an input that contains ``kill`` (violence) or ``hate`` (hate),
with scores derived from the text. Validation copies OpenAI's (400s with ``param``), and
faults act through the shared answer helpers as for chat.
"""

from __future__ import annotations

import base64
import hashlib
import re
import struct
import time
import zlib
from typing import Any

import orjson
from aiohttp import web

from mock_provider.formats.answer import json_answer
from mock_provider.formats.base import Call, Endpoint

PNG_SIDE = 16
_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_FILE_RE = re.compile(r"/files/img-([0-9a-f]{6})\.png$")
CATEGORIES = (
    "harassment",
    "harassment/threatening",
    "hate",
    "hate/threatening",
    "illicit",
    "illicit/violent",
    "self-harm",
    "self-harm/intent",
    "self-harm/instructions",
    "sexual",
    "sexual/minors",
    "violence",
    "violence/graphic",
)
TRIGGERS = {"kill": "violence", "hate": "hate"}
_IMAGE_APPLIED = frozenset({"violence", "violence/graphic", "sexual", "self-harm"})


def endpoints(fmt: Any) -> list[Endpoint]:
    """The endpoints this module serves for the OpenAI format ``fmt``."""
    return [
        Endpoint("openai.images.generations", "POST", "/images/generations", _images, fmt),
        Endpoint("openai.moderations", "POST", "/moderations", _moderations, fmt),
        Endpoint("openai.files", "GET", ".png", _file, fmt, accept=_is_file),
    ]


# ------------------------------------------------------------------------------- PNG


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png(rgb: tuple[int, int, int], side: int = PNG_SIDE) -> bytes:
    """A valid ``side`` x ``side`` 8-bit RGB PNG of one colour."""
    row = b"\x00" + bytes(rgb) * side  # filter type 0, then the pixels
    ihdr = struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0)
    return (
        _SIGNATURE
        + _chunk(b"IHDR", ihdr)
        + _chunk(b"IDAT", zlib.compress(row * side))
        + _chunk(b"IEND", b"")
    )


def colour(prompt: str, index: int) -> str:
    """The image's colour as rrggbb: a hash of the prompt and its index."""
    return hashlib.sha256(f"{index}:{prompt}".encode()).hexdigest()[:6]


def _rgb(hex6: str) -> tuple[int, int, int]:
    return int(hex6[0:2], 16), int(hex6[2:4], 16), int(hex6[4:6], 16)


# ---------------------------------------------------------------------------- handlers


def _invalid(fmt: Any, message: str, param: str) -> web.Response:
    response: web.Response = fmt.error(400, message, param=param, code="invalid_value")
    return response


async def _images(call: Call) -> web.StreamResponse:
    from mock_provider.formats.openai import OPENAI, response_headers

    body = call.body
    if not isinstance(body, dict):
        return _invalid(OPENAI, "We could not parse the JSON body of your request.", "body")
    prompt = body.get("prompt")
    if not isinstance(prompt, str) or not prompt:
        return _invalid(OPENAI, "'prompt' is a required property", "prompt")
    n = body.get("n", 1)
    if not isinstance(n, int) or isinstance(n, bool) or not 1 <= n <= 10:
        return _invalid(OPENAI, "'n' must be between 1 and 10", "n")
    fmt = body.get("response_format") or "url"
    if fmt not in ("url", "b64_json"):
        return _invalid(OPENAI, "'response_format' must be url or b64_json", "response_format")
    model = body.get("model") or "dall-e-2"
    base = f"{call.request.scheme}://{call.request.host}{call.prefix}"
    data = []
    for index in range(n):
        hex6 = colour(prompt, index)
        item: dict[str, Any] = (
            {"b64_json": base64.b64encode(png(_rgb(hex6))).decode()}
            if fmt == "b64_json"
            else {"url": f"{base}/files/img-{hex6}.png"}
        )
        if model == "dall-e-3":
            item["revised_prompt"] = f"A picture of: {prompt}"
        data.append(item)
    answer: dict[str, Any] = {"created": int(time.time()), "data": data}
    if str(model).startswith("gpt-image"):
        tokens = len(prompt) // 4 + 1
        answer["usage"] = {
            "input_tokens": tokens,
            "output_tokens": 272 * n,
            "total_tokens": tokens + 272 * n,
        }
    headers = response_headers(hex6)
    return json_answer(call, orjson.dumps(answer), headers)


def _is_file(request: web.Request) -> bool:
    return _FILE_RE.search(request.path) is not None


async def _file(call: Call) -> web.StreamResponse:
    match = _FILE_RE.search(call.request.path)
    assert match is not None  # the endpoint accepts only these paths
    return web.Response(body=png(_rgb(match.group(1))), content_type="image/png")


def moderate(text: str) -> dict[str, Any]:
    """The verdict on one text: a trigger word flags its category."""
    lowered = text.lower()
    hits = {cat for word, cat in TRIGGERS.items() if word in lowered}
    digest = hashlib.sha256(text.encode()).digest()
    scores = {
        cat: (0.9 + digest[i] / 2550) if cat in hits else digest[i] / 255_000
        for i, cat in enumerate(CATEGORIES)
    }
    return {
        "flagged": bool(hits),
        "categories": {cat: cat in hits for cat in CATEGORIES},
        "category_scores": scores,
        "category_applied_input_types": {
            cat: ["text", "image"] if cat in _IMAGE_APPLIED else ["text"] for cat in CATEGORIES
        },
    }


def _texts(value: Any) -> list[str] | None:
    """The texts to judge, one per result: a string, strings, or the parts' text joined."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return value
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        return [" ".join(str(p.get("text", "")) for p in value if p.get("type") == "text")]
    return None


async def _moderations(call: Call) -> web.StreamResponse:
    from mock_provider.formats.openai import OPENAI, response_headers

    body = call.body
    texts = _texts(body.get("input")) if isinstance(body, dict) else None
    if texts is None:
        return _invalid(OPENAI, "'input' must be a string, strings or content parts", "input")
    model = body.get("model") or "omni-moderation-latest"
    ident = hashlib.sha256("\n".join(texts).encode()).hexdigest()[:24]
    answer = {
        "id": f"modr-{ident}",
        "model": f"{model}-2024-09-26" if model.endswith("-latest") else model,
        "results": [moderate(t) for t in texts],
    }
    return json_answer(call, orjson.dumps(answer), response_headers(ident))
