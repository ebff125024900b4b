"""Classification of upstream HTTP errors shared by all wire formats.

Classified by status code and headers, never by matching message text.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import datetime
from email.utils import parsedate_to_datetime

import orjson

from gate_service.providers.base import FailureKind, UpstreamFailure


def quota_reset_seconds(headers: Mapping[str, str], now_wall: float) -> float | None:
    """Seconds until the provider's reported quota resets: OpenAI-style durations
    (``x-ratelimit-reset-requests: 6m0s``) or Anthropic's timestamps."""
    for name in ("x-ratelimit-reset-requests", "x-ratelimit-reset-tokens"):
        if (parsed := parse_duration(headers.get(name))) is not None:
            return parsed
    for name in ("anthropic-ratelimit-requests-reset", "anthropic-ratelimit-tokens-reset"):
        if value := headers.get(name):
            try:
                return max(0.0, datetime.fromisoformat(value).timestamp() - now_wall)
            except ValueError:
                continue
    return None


def retry_after_seconds(headers: Mapping[str, str]) -> float | None:
    """Seconds to wait from ``Retry-After`` (seconds or HTTP date) or rate-limit resets."""
    value = headers.get("retry-after")
    if value:
        try:
            return max(0.0, float(value))
        except ValueError:
            try:
                return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
            except (TypeError, ValueError):
                pass
    return quota_reset_seconds(headers, time.time()) or None


def parse_duration(value: str | None) -> float | None:
    """OpenAI-style reset durations: "1s", "6m0s", "20ms", "1.5"."""
    if not value:
        return None
    total, number = 0.0, ""
    units = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}
    i = 0
    try:
        while i < len(value):
            ch = value[i]
            if ch.isdigit() or ch == ".":
                number += ch
                i += 1
                continue
            unit = "ms" if value[i : i + 2] == "ms" else ch
            total += float(number) * units[unit]
            number = ""
            i += len(unit)
        if number:
            total += float(number)
    except (KeyError, ValueError):
        return None
    return total


def error_message(body: bytes) -> str:
    """The provider's error message, if its body has one in a known place."""
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        return body[:200].decode("utf-8", "replace")
    if isinstance(data, list) and data:
        data = data[0]
    if isinstance(data, dict):
        err = data.get("error", data)
        if isinstance(err, dict) and isinstance(err.get("message"), str):
            return str(err["message"])
        if isinstance(err, str):
            return err
    return ""


def classify_status(status: int, headers: dict[str, str], body: bytes) -> UpstreamFailure:
    """The fallback rule for an HTTP status (vault-and-routing.md, "Fallback rules")."""
    message = error_message(body) or f"upstream answered HTTP {status}"
    if status == 429:
        return UpstreamFailure(
            FailureKind.RATE_LIMITED, status, message, retry_after_seconds(headers)
        )
    if status in (401, 403):
        return UpstreamFailure(FailureKind.AUTH, status, message)
    if status == 404:
        return UpstreamFailure(FailureKind.MODEL_NOT_FOUND, status, message)
    if status in (408, 504):
        # The provider (or the gateway in front of it) timed out: a timeout like ours, so
        # a request whose every attempt ends so is a 504 ``upstream_timeout``, not a 502.
        return UpstreamFailure(FailureKind.TIMEOUT, status, message)
    if 400 <= status < 500:
        return UpstreamFailure(FailureKind.BAD_REQUEST, status, message)
    return UpstreamFailure(FailureKind.SERVER, status, message, retry_after_seconds(headers))
