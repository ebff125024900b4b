"""The core calls of the console's data pages (Overview, Usage, Catalog): the same services
and methods as ``GET /usage``, ``/traces``, ``/capacity``, ``/models`` and ``/providers``,
with the signed-in credential, answered in the API's JSON shapes. Beside
:mod:`bridge.console.core_calls` (whose call helper it uses), so that the pages built in
parallel each add their calls in a module of their own.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from bridge.console.core_calls import _call
from gate_service.catalog.snapshot import parse_model_query
from gate_service.ledger.analytics_json import capacity_to_json
from gate_service.ledger.json_shapes import usage_to_json
from gate_service.proto_convert import analytics as convert
from gate_service.proto_convert.catalog import model_to_json, provider_to_json, query_to_proto
from gate_service.proto_convert.usage import usage_from_proto
from spidergate.v1 import catalog_pb2, usage_pb2

# Each window with the width of its chart's buckets: hours for a day, days beyond.
WINDOWS: dict[str, tuple[timedelta, usage_pb2.BucketSize]] = {
    "24h": (timedelta(hours=24), usage_pb2.BUCKET_SIZE_HOUR),
    "7d": (timedelta(days=7), usage_pb2.BUCKET_SIZE_DAY),
    "30d": (timedelta(days=30), usage_pb2.BUCKET_SIZE_DAY),
}


def window_ms(window: str) -> tuple[int, int]:
    """The window's start and end, in ms since the epoch, ending now."""
    end = datetime.now(UTC)
    start = end - WINDOWS[window][0]
    return int(start.timestamp() * 1000), int(end.timestamp() * 1000)


async def usage(
    core: Any, secret: str, request_id: str, window: str, kind: str = ""
) -> dict[str, Any]:
    """``GET /usage?from=…&to=…&bucket=hour|day[&kind=…]`` as the API answers it."""
    start, end = window_ms(window)
    message = usage_pb2.GetUsageRequest(
        start_time_ms=start, end_time_ms=end, bucket=WINDOWS[window][1], kind=kind
    )
    answer = await _call(core.usage.GetUsage, message, secret, request_id)
    return usage_to_json(usage_from_proto(answer))


async def capacity(core: Any, secret: str, request_id: str) -> dict[str, Any]:
    """``GET /capacity`` (7 days): per provider its serving, eligible and registered keys
    and verdict, for the caller's keys."""
    answer = await _call(core.usage.GetCapacity, usage_pb2.GetCapacityRequest(), secret, request_id)
    return capacity_to_json(*convert.capacity_from_proto(answer))


async def models(
    core: Any, secret: str, request_id: str, params: Mapping[str, str]
) -> dict[str, Any]:
    """``GET /models?…`` with the API's own query parser (a bad value: its 400)."""
    message = query_to_proto(parse_model_query(params))
    answer = await _call(core.catalog.ListModels, message, secret, request_id)
    return {
        "data": [model_to_json(m) for m in answer.models],
        "total": answer.total,
        "limit": message.limit,
        "offset": message.offset,
    }


async def model(core: Any, secret: str, request_id: str, model_id: str) -> dict[str, Any]:
    """``GET /models/{id}`` (an alias answers its chain)."""
    answer = await _call(
        core.catalog.GetModel, catalog_pb2.GetModelRequest(id=model_id), secret, request_id
    )
    return model_to_json(answer.model)


async def providers(core: Any, secret: str, request_id: str) -> list[dict[str, Any]]:
    """``GET /providers``."""
    answer = await _call(
        core.catalog.ListProviders, catalog_pb2.ListProvidersRequest(), secret, request_id
    )
    return [provider_to_json(p) for p in answer.providers]
