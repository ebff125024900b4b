"""``/__mock/*``: JSON endpoints to inspect and script a running mock.

In-process tests can use ``MockServer.state`` directly; these endpoints are for
everything that runs the mock as a separate process (the CLI demo, the
benchmark, end-to-end tests of the gateway binary).

* ``GET    /__mock/health``    -> ``{"status": "ok", "total": N}``
* ``GET    /__mock/requests``  -> counters + last records
  (query: ``limit`` (default 100), ``model``, ``key``, ``endpoint``)
* ``POST   /__mock/reset``     -> forget records, counters and faults
* ``GET    /__mock/faults``    -> the active fault rules, and every fault kind
  with its description and fields (``{"faults": [...], "kinds": {...}}``)
* ``POST   /__mock/faults``    -> add a rule (see ``fault_rules`` for the kinds)
* ``DELETE /__mock/faults``    -> remove all rules
"""

from __future__ import annotations

from typing import Any

import orjson
from aiohttp import web

from mock_provider.fault_rules import describe_kinds
from mock_provider.state import MockState

__all__ = ["ADMIN_PREFIX", "add_admin_routes"]

ADMIN_PREFIX = "/__mock"


def _json(payload: Any, status: int = 200) -> web.Response:
    return web.Response(body=orjson.dumps(payload), status=status, content_type="application/json")


def add_admin_routes(router: web.UrlDispatcher, state: MockState) -> None:
    """Register the admin endpoints for ``state`` (before the catch-all route)."""

    async def health(request: web.Request) -> web.Response:
        return _json({"status": "ok", "total": state.total})

    async def requests(request: web.Request) -> web.Response:
        query = request.query
        try:
            limit = int(query.get("limit", "100"))
        except ValueError:
            return _json({"error": "limit must be an integer"}, 400)
        return _json(
            state.snapshot(
                limit=limit,
                model=query.get("model"),
                key=query.get("key"),
                endpoint=query.get("endpoint"),
            )
        )

    async def reset(request: web.Request) -> web.Response:
        state.reset()
        return _json({"ok": True})

    async def list_faults(request: web.Request) -> web.Response:
        return _json(
            {"faults": [rule.to_json() for rule in state.faults], "kinds": describe_kinds()}
        )

    async def add_fault(request: web.Request) -> web.Response:
        try:
            data = orjson.loads(await request.read())
            rule = state.add_fault(data)
        except (orjson.JSONDecodeError, ValueError, TypeError) as exc:
            return _json({"error": str(exc)}, 400)
        return _json(rule.to_json(), 201)

    async def clear_faults(request: web.Request) -> web.Response:
        state.clear_faults()
        return _json({"ok": True})

    router.add_get(f"{ADMIN_PREFIX}/health", health)
    router.add_get(f"{ADMIN_PREFIX}/requests", requests)
    router.add_post(f"{ADMIN_PREFIX}/reset", reset)
    router.add_get(f"{ADMIN_PREFIX}/faults", list_faults)
    router.add_post(f"{ADMIN_PREFIX}/faults", add_fault)
    router.add_delete(f"{ADMIN_PREFIX}/faults", clear_faults)
