"""Seed a PostgreSQL ledger with N realistic requests (default 1,000,000) and their rollups
(hourly and by day).

Why: issue 12 asks the console's queries (overview, traces with any filter, usage) to stay
under 300 ms at a million ledger rows; measuring that needs a million rows that look like
traffic: several brands of very different sizes, agents and client credentials, aliases
served by several models and providers, successes, 429s, 5xx and unserved 404s, every
request kind, streamed and cached answers, fallbacks, costs and latencies over 30 days with
a daily rhythm. ``scripts/measure_ledger.py`` then times the real HTTP routes over it.

Rows go in with ``COPY`` (about 10x batched INSERTs); the hourly rollups are computed by
the writer's own code (:func:`gate_service.ledger.rollups.tally`, so they are exactly what
the gateway would have kept) and copied in too when the rollup table starts empty, else
added with :func:`gate_service.ledger.rollups.apply`.

The schema is migrated first; brands are created through the identity store, and their
client credentials and agent tokens printed as JSON on the last line of stdout
(``--credentials FILE`` writes them to a file instead), so a benchmark can sign in.

    .venv/bin/python scripts/seed_ledger.py --url postgresql://postgres@127.0.0.1/scale -n 1000000
"""

from __future__ import annotations

import argparse
import json
import math
import random
import secrets
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import psycopg

from gate_service.auth.identity import IdentityStore
from gate_service.ledger import rollups
from gate_service.ledger.rows import REQUESTS
from gate_service.storage.database import Database

# (requested model, alias or None, [(served model, provider, $ per 1k prompt, $ per 1k out)])
_ROUTES: tuple[tuple[str, str | None, tuple[tuple[str, str, float, float], ...]], ...] = (
    (
        "spideriq/coding",
        "spideriq/coding",
        (
            ("claude-sonnet-4", "anthropic", 0.003, 0.015),
            ("gpt-4.1", "openai", 0.002, 0.008),
            ("qwen-2.5-coder-32b", "groq", 0.0, 0.0),
        ),
    ),
    (
        "spideriq/fast",
        "spideriq/fast",
        (
            ("llama-3.1-8b-instant", "groq", 0.0, 0.0),
            ("gemini-2.0-flash", "gemini", 0.0001, 0.0004),
            ("gpt-4o-mini", "openai", 0.00015, 0.0006),
        ),
    ),
    (
        "spideriq/reasoning",
        "spideriq/reasoning",
        (("o3-mini", "openai", 0.0011, 0.0044), ("deepseek-r1", "deepseek", 0.00055, 0.0022)),
    ),
    ("gpt-4o", None, (("gpt-4o", "openai", 0.0025, 0.01),)),
    ("claude-3-5-haiku", None, (("claude-3-5-haiku", "anthropic", 0.0008, 0.004),)),
    ("gemini-2.5-pro", None, (("gemini-2.5-pro", "gemini", 0.00125, 0.01),)),
    ("mistral-large", None, (("mistral-large", "mistral", 0.002, 0.006),)),
)
_MEDIA: dict[str, tuple[str, str, str]] = {  # kind -> requested, served, provider
    "embedding": ("text-embedding-3-small", "text-embedding-3-small", "openai"),
    "image": ("gpt-image-1", "gpt-image-1", "openai"),
    "speech": ("tts-1", "tts-1", "openai"),
    "transcription": ("whisper-large-v3", "whisper-large-v3", "groq"),
    "moderation": ("omni-moderation-latest", "omni-moderation-latest", "openai"),
}
# Kind shares: chat-like kinds dominate, as they do in real traffic.
_KINDS = (
    ("chat", 0.70),
    ("response", 0.06),
    ("message", 0.05),
    ("completion", 0.02),
    ("embedding", 0.11),
    ("image", 0.02),
    ("speech", 0.015),
    ("transcription", 0.015),
    ("moderation", 0.01),
)
# Status shares (404: an unknown model, never served).
_STATUSES = ((200, 0.925), (429, 0.03), (502, 0.015), (500, 0.008), (400, 0.012), (404, 0.01))
_ERROR_CODES = {
    429: "rate_limited",
    502: "upstream_error",
    500: "internal_error",
    400: "invalid_request",
    404: "model_not_found",
}
# Brand sizes: one large tenant, a few middling, a long tail.
_BRAND_WEIGHTS = (0.45, 0.2, 0.12, 0.08, 0.06, 0.04, 0.03, 0.02)
_AGENTS_PER_BRAND = 8


@dataclass(frozen=True, slots=True)
class Tenant:
    client_id: str
    name: str
    credential: str
    agents: tuple[tuple[str, str, str], ...]  # (token id, name, token)


def _choice(rng: random.Random, table: tuple[tuple[Any, float], ...]) -> Any:
    x = rng.random() * sum(w for _, w in table)
    for value, weight in table:
        x -= weight
        if x <= 0:
            return value
    return table[-1][0]


def make_tenants(db: Database, brands: int, tag: str) -> list[Tenant]:
    """Brands with a client credential and agent tokens each, through the identity store."""
    identity = IdentityStore(db)
    out = []
    for b in range(brands):
        view, credential = identity.create_brand(f"seed-{tag}-{b}")
        agents = []
        for a in range(_AGENTS_PER_BRAND):
            name = f"agent-{a}"
            minted = identity.mint_token(view.client_id, name, None)
            agents.append((minted[0].id, name, str(minted[1])))
        out.append(Tenant(view.client_id, view.name, credential, tuple(agents)))
    return out


def _timestamps(rng: random.Random, n: int, end: datetime, days: int) -> list[datetime]:
    """``n`` times over ``days`` before ``end``, busier in the day (UTC) than at night."""
    span = days * 86_400.0
    out = []
    while len(out) < n:
        offset = rng.random() * span
        at = end - timedelta(seconds=offset)
        hour = at.hour + at.minute / 60
        if rng.random() < 0.35 + 0.65 * (0.5 - 0.5 * math.cos((hour - 3) / 24 * 2 * math.pi)):
            out.append(at)
    return out


def rows(
    tenants: list[Tenant], n: int, *, days: int = 30, seed: int = 12, end: datetime | None = None
) -> Iterator[dict[str, Any]]:
    """``n`` ``request_log`` rows (as the writer writes them), oldest first."""
    rng = random.Random(seed)
    end = end or datetime.now(UTC)
    weights = tuple((t, _BRAND_WEIGHTS[i % len(_BRAND_WEIGHTS)]) for i, t in enumerate(tenants))
    for at in sorted(_timestamps(rng, n, end, days)):
        tenant: Tenant = _choice(rng, weights)
        if rng.random() < 0.12:  # the brand's own credential, no agent
            token_id, agent = None, None
        else:  # a few agents do most of the work
            token_id, agent, _ = tenant.agents[
                min(int(rng.expovariate(0.6)), len(tenant.agents) - 1)
            ]
        kind = _choice(rng, _KINDS)
        status = _choice(rng, _STATUSES)
        streamed = cache_hit = False
        fallback: list[str] = []
        ttft = None
        if kind in _MEDIA:
            requested, served, provider = _MEDIA[kind]
            alias = None
            p_in, p_out = 0.00002, 0.0
            prompt = int(rng.lognormvariate(5, 1))
            completion = reasoning = 0
            latency = rng.lognormvariate(math.log(180 if kind == "embedding" else 1500), 0.5)
        else:
            requested, alias, chain = _ROUTES[min(int(rng.expovariate(0.45)), len(_ROUTES) - 1)]
            pick = 0 if rng.random() < 0.85 else rng.randrange(len(chain))
            served, provider, p_in, p_out = chain[pick]
            fallback = [f"{p}:{m}" for m, p, _, _ in chain[:pick]]
            prompt = int(rng.lognormvariate(6.5, 1.1))
            completion = int(rng.lognormvariate(5.3, 0.9))
            reasoning = int(completion * 0.6) if "reasoning" in requested else 0
            streamed = rng.random() < 0.45
            cache_hit = status == 200 and rng.random() < 0.06
            latency = rng.lognormvariate(math.log(900 + 8 * completion), 0.55)
            ttft = latency * rng.uniform(0.1, 0.35) if streamed else None
        key_id = f"key-{provider}-{rng.randrange(4)}"
        served_model: str | None = served
        served_provider: str | None = provider
        if status == 404:
            served_model = served_provider = key_id = None  # type: ignore[assignment]
            prompt = completion = reasoning = 0
            latency = rng.uniform(0.5, 3)
        elif status >= 400:
            completion = reasoning = 0
            latency = rng.lognormvariate(math.log(300), 0.8)
        if cache_hit:
            latency = rng.uniform(1, 8)
        cost = 0.0 if status >= 400 or cache_hit else (prompt * p_in + completion * p_out) / 1000
        outcome = "success" if status < 400 else "error"
        attempts = (
            []
            if served_model is None
            else [
                {
                    "provider": provider,
                    "model": served,
                    "key": f"sk-…{key_id[-4:]}",
                    "outcome": outcome,
                    "status": status,
                    "latency_ms": round(latency, 3),
                    "error_code": _ERROR_CODES.get(status, ""),
                    "error_message": "",
                }
            ]
        )
        yield {
            "id": "req_" + secrets.token_hex(12),
            "client_id": tenant.client_id,
            "token_id": token_id,
            "agent_name": agent,
            "requested_model": requested,
            "alias": alias,
            "kind": kind,
            "served_model": served_model,
            "provider": served_provider,
            "key_id": key_id,
            "key_preview": None if key_id is None else f"sk-…{key_id[-4:]}",
            "status": status,
            "error_code": _ERROR_CODES.get(status),
            "latency_ms": round(latency, 3),
            "ttft_ms": None if ttft is None else round(ttft, 3),
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "cached_tokens": int(prompt * 0.3) if rng.random() < 0.2 else 0,
            "reasoning_tokens": reasoning,
            "cost_usd": round(cost, 9),
            "streamed": streamed,
            "cache_hit": cache_hit,
            "fallback_chain": orjson.dumps(fallback).decode(),
            "attempts": orjson.dumps(attempts).decode(),
            "created_at": at,
            # The waterfall's gateway spans: sub-millisecond, as the path measures them.
            "auth_ms": round(rng.uniform(0.01, 0.1), 3),
            "plan_ms": round(rng.uniform(0.02, 0.2), 3),
            "admission_ms": round(rng.uniform(0.01, 0.3), 3),
        }


def _libpq(url: str) -> str:
    """A SQLAlchemy URL (``postgresql+psycopg://``) as libpq takes it."""
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def _copy_rollups(
    conn: psycopg.Connection[Any],
    table: str,
    time_column: str,
    groups: dict[rollups.GroupKey, rollups.Tally],
) -> None:
    """COPY rollups (hourly, or by day: the key's time is then the day) into an empty table."""
    keys = [time_column if c == "hour" else c for c in rollups.KEY_COLUMNS]
    columns = ["id", *keys, *rollups.Tally().columns()]
    with (
        conn.cursor() as cur,
        cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy,
    ):
        for key, acc in groups.items():
            values = {"id": rollups.group_id(key), **dict(zip(keys, key, strict=True))}
            values.update(acc.columns())
            copy.write_row([values[c] for c in columns])


def seed(url: str, n: int, *, brands: int = 6, days: int = 30, seed: int = 12) -> list[Tenant]:
    """Migrate the database at ``url``, create ``brands`` brands and seed ``n`` rows."""
    db = Database(url)
    if db.dialect != "postgresql":
        raise SystemExit("seed_ledger seeds PostgreSQL (COPY); got " + db.dialect)
    try:
        db.migrate()
        tenants = make_tenants(db, brands, secrets.token_hex(3))
    finally:
        db.dispose()
    names = [c.name for c in REQUESTS.columns]
    groups: dict[rollups.GroupKey, rollups.Tally] = {}
    with psycopg.connect(_libpq(url)) as conn:
        with (
            conn.cursor() as cur,
            cur.copy(f"COPY request_log ({', '.join(names)}) FROM STDIN") as copy,
        ):
            for row in rows(tenants, n, days=days, seed=seed):
                key = rollups.group_key(row)
                acc = groups.get(key)
                if acc is None:
                    acc = groups[key] = rollups.Tally()
                acc.count(row)
                copy.write_row([row[name] for name in names])
        empty = conn.execute(
            "SELECT NOT EXISTS (SELECT 1 FROM usage_rollup)"
            " AND NOT EXISTS (SELECT 1 FROM usage_rollup_day)"
        ).fetchone()
        if empty and empty[0]:
            _copy_rollups(conn, "usage_rollup", "hour", groups)
            _copy_rollups(conn, "usage_rollup_day", "day", rollups.by_day(groups))
            conn.commit()
        else:
            conn.commit()
            db = Database(url)
            try:
                with db.engine.begin() as sa_conn:
                    items = list(groups.items())
                    for i in range(0, len(items), 1_000):
                        rollups.apply_all(sa_conn, dict(items[i : i + 1_000]))
            finally:
                db.dispose()
        # VACUUM sets the visibility map, so index-only scans skip the table as they would
        # on a ledger autovacuum has been through.
        conn.autocommit = True
        conn.execute("VACUUM ANALYZE request_log")
        conn.execute("VACUUM ANALYZE usage_rollup")
        conn.execute("VACUUM ANALYZE usage_rollup_day")
    return tenants


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True, help="PostgreSQL URL (the database must exist)")
    parser.add_argument("-n", "--rows", type=int, default=1_000_000)
    parser.add_argument("--brands", type=int, default=6)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--credentials", type=Path, help="write the tenants' secrets here")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    tenants = seed(args.url, args.rows, brands=args.brands, days=args.days, seed=args.seed)
    took = time.perf_counter() - started
    print(f"seeded {args.rows} rows for {len(tenants)} brands in {took:.1f} s", file=sys.stderr)
    secrets_json = json.dumps([_tenant_json(t) for t in tenants])
    if args.credentials:
        args.credentials.write_text(secrets_json)
    else:
        print(secrets_json)
    return 0


def _tenant_json(t: Tenant) -> dict[str, Any]:
    return {
        "client_id": t.client_id,
        "name": t.name,
        "credential": t.credential,
        "agents": [list(a) for a in t.agents],
    }


if __name__ == "__main__":
    sys.exit(main())
