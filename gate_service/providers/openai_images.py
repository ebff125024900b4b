"""OpenAI's ``/images/generations`` wire: the request built from the domain request, the
answer parsed into the domain answer (pure), and the :class:`ImageCall` that posts it.

**What an image costs.** The catalog's ``pricing.image`` is OpenAI's price of one
1024x1024 standard image. Larger sizes and higher quality cost more upstream, so each
image is billed (and reserved) as a whole number of *base units*
(:func:`image_units`): the ratio of its price to the base price, rounded up so the
reservation never falls short. OpenAI's prices (2025): dall-e-3 standard 1024 $0.040,
HD or 1792-wide $0.080, HD and 1792-wide $0.120 (1, 2, 3 units, exact); gpt-image-1
medium 1024 $0.042 (the base), high $0.167 (4), 1536-wide medium $0.063 (2), high
$0.25 (6), low quality cheaper than the base (billed 1); dall-e-2's smaller sizes are
cheaper than its 1024 base (billed 1: a slight over-charge, never an under-charge).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import aiohttp
import orjson

from gate_service.deadline import Deadline
from gate_service.domain import Usage
from gate_service.domain.images import (
    ImageAnswer,
    ImageRequest,
    image_answer_from_json,
    image_request_to_json,
)
from gate_service.providers.base import (
    FailureKind,
    Target,
    UpstreamFailure,
    UpstreamRequest,
    WireAdapter,
)
from gate_service.providers.openai_compat import auth_headers
from gate_service.providers.transport import post
from gate_service.routing.runner import Reply

# Price of (quality, size) relative to the model's base price, per model family.
_LARGE_SIZES = frozenset({"1792x1024", "1024x1792", "1536x1024", "1024x1536"})
_HIGH_QUALITY = frozenset({"hd", "high"})
_GPT_IMAGE = {  # (high quality, large size) -> price / $0.042
    (False, False): 0.042,
    (False, True): 0.063,
    (True, False): 0.167,
    (True, True): 0.25,
}


def image_units(model: str, size: str, quality: str) -> int:
    """Base units (the catalog's per-image price) one image of this size and quality
    costs; see the module docstring."""
    name = model.rsplit("/", 1)[-1]
    high = quality in _HIGH_QUALITY
    large = size in _LARGE_SIZES
    if name.startswith("gpt-image"):
        if quality == "low":
            return 1
        return math.ceil(_GPT_IMAGE[(high, large)] / _GPT_IMAGE[(False, False)] - 1e-9)
    if name == "dall-e-3":
        return 1 + int(high) + int(large)
    return 1


def build_image_request(target: Target, request: ImageRequest) -> UpstreamRequest:
    return UpstreamRequest(
        url=target.base_url.rstrip("/") + "/images/generations",
        headers=auth_headers(target),
        body=orjson.dumps(image_request_to_json(request, target.model)),
    )


def parse_image_response(body: bytes) -> ImageAnswer:
    try:
        parsed = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise UpstreamFailure(FailureKind.SERVER, 502, "upstream answer is not JSON") from None
    if not isinstance(parsed, dict) or not isinstance(parsed.get("data"), list):
        raise UpstreamFailure(FailureKind.SERVER, 502, "upstream answer has no image data")
    return image_answer_from_json(parsed)


@dataclass(frozen=True, slots=True)
class ImageCall:
    """One attempt: post the request, parse the images; billed by what came back
    (images made times their base units)."""

    session: aiohttp.ClientSession
    request: ImageRequest
    units_per_image: int = 1

    async def __call__(
        self, target: Target, adapter: WireAdapter, deadline: Deadline, timeout_s: float
    ) -> Reply[ImageAnswer]:
        resp = await post(
            self.session, build_image_request(target, self.request), timeout_s, deadline
        )
        if resp.status >= 400:
            raise adapter.classify_error(resp.status, resp.headers, resp.body)
        answer = parse_image_response(resp.body)
        usage = Usage(images=len(answer.data) * self.units_per_image)
        return Reply(answer, resp.headers, usage)
