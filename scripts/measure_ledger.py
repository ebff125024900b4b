"""Time the console's pages and the ledger's HTTP routes, over a seeded ledger.

Why: issue 12 asks the overview, the traces list (any filter) and the usage page to answer
in under 300 ms at the server with 1,000,000 ledger rows in PostgreSQL (p95 over 50 loads).
This starts a real gateway (gRPC core and HTTP bridge, in this process) on the database
``scripts/seed_ledger.py`` filled, signs in to the console at ``/console/login`` with the
credentials it wrote (the largest brand's client credential, the operator token and an
agent token of that brand: one session cookie each, as a browser would), and loads each
console page, then each API route, ``--loads`` times one after another, printing p50 /
p95 / max per page or route (``--only pages`` or ``--only routes`` for one half).

The time is taken around each HTTP call on the loopback interface: the server's time plus
a loopback round trip (well under a millisecond). The ledger's read pacing (at most 10 %
of the process's time, ``gate_service/ledger/reads.py``) is lifted for the run, since it
makes back-to-back loads wait on purpose; each load is still one query at a time.

    .venv/bin/python scripts/measure_ledger.py --url postgresql+psycopg://... \\
        --credentials /tmp/creds.json
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.stack import Stack, make_settings  # a real gateway, as tests run it

_OPERATOR = "measure-operator-token"


def _iso(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")


def routes(agent_name: str) -> list[tuple[str, str, str]]:
    """(page, caller, path) of every load: the overview, the traces list with each
    filter, the usage page and the other analytics routes."""
    now = datetime.now(UTC)
    day_ago, week_ago = _iso(now - timedelta(days=1)), _iso(now - timedelta(days=7))
    ten_days = _iso(now - timedelta(days=11)), _iso(now - timedelta(days=10))
    brand = "brand"
    return [
        ("overview 24h (hourly)", brand, f"/usage?bucket=hour&from={day_ago}"),
        ("overview 7d (hourly)", brand, f"/usage?bucket=hour&from={week_ago}"),
        ("overview 7d (daily)", brand, f"/usage?from={week_ago}"),
        ("overview 30d (daily)", brand, "/usage"),
        ("overview 30d compare", brand, "/usage?compare=true"),
        ("overview /stats 30d", brand, "/stats"),
        ("overview /stats operator", "operator", "/stats"),
        ("traces newest", brand, "/traces"),
        ("traces page 11", brand, "/traces?offset=500"),
        ("traces agent", brand, f"/traces?agent={agent_name}"),
        ("traces status=error", brand, "/traces?status=error"),
        ("traces status=502", brand, "/traces?status=502"),
        ("traces model", brand, "/traces?model=mistral-large"),
        ("traces date range", brand, f"/traces?from={ten_days[0]}&to={ten_days[1]}"),
        ("traces min latency", brand, "/traces?min_latency_ms=8000"),
        ("traces min cost", brand, "/traces?min_cost_usd=0.05"),
        (
            "traces all filters",
            brand,
            f"/traces?agent={agent_name}&status=success&model=spideriq/coding"
            f"&from={week_ago}&min_latency_ms=2000&min_cost_usd=0.01",
        ),
        ("traces as agent", "agent", "/traces"),
        ("traces/stats 30d", brand, "/traces/stats"),
        ("traces/stats 24h", brand, f"/traces/stats?from={day_ago}"),
        ("traces/stats model 7d", brand, f"/traces/stats?model=gpt-4o&from={week_ago}"),
        ("usage page 30d kind", brand, "/usage?kind=embedding"),
        ("usage as agent", "agent", "/usage"),
        ("flow 7d", brand, "/flow?days=7&limit=100"),
        ("flow 30d", brand, "/flow?days=30&limit=100"),
        ("capacity 7d", brand, "/capacity?days=7&key_limit=50"),
    ]


def pages(agent_name: str) -> list[tuple[str, str, str]]:
    """(page, caller, path) of every console page load: the overview and the usage page
    over each window, the traces list newest first, further back, and with each filter."""
    now = datetime.now(UTC)
    week_ago = _iso(now - timedelta(days=7))
    ten_days = _iso(now - timedelta(days=11)), _iso(now - timedelta(days=10))
    out = []
    for caller in ("brand", "operator", "agent"):
        windows = ("24h", "7d", "30d") if caller == "brand" else ("30d",)
        out += [(f"overview {w}", caller, f"/console/overview?window={w}") for w in windows]
        out += [(f"usage {w}", caller, f"/console/usage?window={w}") for w in windows]
        out.append(("traces", caller, "/console/traces"))
    brand = "brand"
    return [
        *out,
        ("usage 30d kind", brand, "/console/usage?window=30d&kind=embedding"),
        ("traces page 11", brand, "/console/traces?offset=500"),
        ("traces agent", brand, f"/console/traces?agent={agent_name}"),
        ("traces status=error", brand, "/console/traces?status=error"),
        ("traces status=502", brand, "/console/traces?status=502"),
        ("traces model", brand, "/console/traces?model=mistral-large"),
        ("traces date range", brand, f"/console/traces?from={ten_days[0]}&to={ten_days[1]}"),
        ("traces min latency", brand, "/console/traces?min_latency_ms=8000"),
        ("traces min cost", brand, "/console/traces?min_cost_usd=0.05"),
        (
            "traces all filters",
            brand,
            f"/console/traces?agent={agent_name}&status=success&model=spideriq/coding"
            f"&from={week_ago}&min_latency_ms=2000&min_cost_usd=0.01",
        ),
    ]


def sign_in(client: httpx.Client, secret: str) -> None:
    """A console session in ``client``'s cookies, as the sign-in form makes it."""
    form = client.get("/console/login")
    form.raise_for_status()
    csrf = form.text.split('name="csrf_token" value="')[1].split('"')[0]
    done = client.post("/console/login", data={"csrf_token": csrf, "secret": secret})
    if done.status_code != 303 or "sg_console" not in client.cookies:
        raise SystemExit(f"console sign-in refused: {done.status_code}")


def _time(
    client: httpx.Client,
    loads: list[tuple[str, str, str]],
    headers: dict[str, dict[str, str]],
    loads_n: int,
    budget_s: float,
) -> list[dict[str, Any]]:
    """Each load ``loads_n`` times, or as many as fit in ``budget_s`` (at least 5: a load
    far over the target need not take minutes to show it; the count is reported)."""
    out = []
    for page, caller, path in loads:
        first = client.get(path, headers=headers[caller])
        if first.status_code != 200:
            raise SystemExit(f"{path}: {first.status_code} {first.text[:300]}")
        times: list[float] = []
        deadline = time.perf_counter() + budget_s
        while len(times) < loads_n and (len(times) < 5 or time.perf_counter() < deadline):
            started = time.perf_counter()
            r = client.get(path, headers=headers[caller])
            times.append((time.perf_counter() - started) * 1000)
            r.raise_for_status()
        times.sort()
        p95 = times[max(0, -(-95 * len(times) // 100) - 1)]
        row = {
            "page": page,
            "caller": caller,
            "path": path,
            "loads": len(times),
            "p50_ms": round(statistics.median(times), 1),
            "p95_ms": round(p95, 1),
            "max_ms": round(times[-1], 1),
        }
        print(
            f"{page:28} {caller:8} n {len(times):3}  p50 {row['p50_ms']:8.1f}  "
            f"p95 {row['p95_ms']:8.1f}  max {row['max_ms']:8.1f} ms",
            flush=True,
        )
        out.append(row)
    return out


def measure(
    base: str,
    tokens: dict[str, str],
    loads: int,
    agent_name: str,
    budget_s: float,
    only: str | None = None,
) -> list[dict[str, Any]]:
    """The console's pages (one signed-in client per caller), then the API's routes."""
    out: list[dict[str, Any]] = []
    if only != "routes":
        print(f"console pages ({os.getloadavg()[0]:.1f} load average)", flush=True)
        origin = base.split("/api/")[0]
        for caller in ("brand", "operator", "agent"):
            with httpx.Client(base_url=origin, timeout=120) as client:
                sign_in(client, tokens[caller])
                mine = [load for load in pages(agent_name) if load[1] == caller]
                for row in _time(client, mine, {caller: {}}, loads, budget_s):
                    out.append({**row, "kind": "page"})
    if only != "pages":
        print(f"API routes ({os.getloadavg()[0]:.1f} load average)", flush=True)
        headers = {c: {"Authorization": f"Bearer {t}"} for c, t in tokens.items()}
        with httpx.Client(base_url=base, timeout=120) as client:
            for row in _time(client, routes(agent_name), headers, loads, budget_s):
                out.append({**row, "kind": "route"})
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True, help="the seeded PostgreSQL database")
    parser.add_argument("--credentials", type=Path, required=True, help="seed_ledger's file")
    parser.add_argument("--loads", type=int, default=50)
    parser.add_argument("--budget-s", type=float, default=60.0, help="per route, at least 5 loads")
    parser.add_argument(
        "--data-dir",
        type=Path,
        help="the gateway's data directory (its vault key must stay the database's across "
        "runs); default: next to the credentials file",
    )
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--only", choices=("pages", "routes"), help="time only these")
    args = parser.parse_args(argv)
    tenants = json.loads(args.credentials.read_text())
    biggest = tenants[0]  # seed_ledger gives the first brand the largest share
    _, agent_name, agent_token = biggest["agents"][0]
    tokens = {"brand": biggest["credential"], "agent": agent_token, "operator": _OPERATOR}
    data = args.data_dir or args.credentials.with_suffix(".gateway")
    data.mkdir(parents=True, exist_ok=True)
    settings = replace(
        make_settings(data, args.url), ledger_read_share=1.0, operator_token=_OPERATOR
    )
    stack = Stack(settings).start(demo=False)
    try:
        rows = measure(stack.base_url, tokens, args.loads, agent_name, args.budget_s, args.only)
    finally:
        stack.stop()
    for kind in ("page", "route"):
        mine = [r for r in rows if r["kind"] == kind]
        if mine:
            worst = max(mine, key=lambda r: r["p95_ms"])
            print(f"worst {kind} p95: {worst['page']} ({worst['caller']}) {worst['p95_ms']} ms")
    print(f"load average at the end: {os.getloadavg()}", flush=True)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
