"""``scripts/seed_ledger.py`` at a small N on a fresh PostgreSQL database: the rows are
there with their rollups (exactly what the ledger's own code computes from them, so usage
reports over seeded data are right), in every brand, kind and outcome the benchmark needs,
and the brands' credentials sign in. Seeding twice adds to the rollups instead of copying."""

from __future__ import annotations

import importlib.util
import sys
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import psycopg

from gate_service.auth.identity import IdentityStore
from gate_service.ledger import queries
from gate_service.ledger.views import LedgerScope, TimeWindow, UsageQuery
from gate_service.storage.database import Database
from tests.db_backends import fresh_postgres_database

_SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "seed_ledger.py"


def _seed_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("seed_ledger", _SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def _one(url: str, sql: str) -> tuple[Any, ...]:
    with psycopg.connect(url) as conn:
        row = conn.execute(sql).fetchone()
    assert row is not None
    return tuple(row)


def test_seed_small_n(tmp_path: Path) -> None:
    seed = _seed_module()
    with fresh_postgres_database() as url:
        creds = tmp_path / "creds.json"
        assert (
            seed.main(
                [
                    "--url",
                    url,
                    "-n",
                    "3000",
                    "--brands",
                    "3",
                    "--days",
                    "2",
                    "--credentials",
                    str(creds),
                ]
            )
            == 0
        )
        libpq = url.replace("postgresql+psycopg://", "postgresql://")
        count, brands, kinds, errors, unserved, span = _one(
            libpq,
            "SELECT count(*), count(DISTINCT client_id), count(DISTINCT kind),"
            " count(*) FILTER (WHERE status >= 400), count(*) FILTER (WHERE served_model IS NULL),"
            " extract(epoch FROM max(created_at) - min(created_at)) FROM request_log",
        )
        assert (count, brands, kinds) == (3000, 3, 9)
        assert 0 < unserved < errors < 3000 * 0.2
        assert 1.5 * 86400 < float(span) <= 2 * 86400
        rollup = _one(libpq, "SELECT sum(requests), sum(errors), sum(cost_usd) FROM usage_rollup")
        raw = _one(
            libpq,
            "SELECT count(*), count(*) FILTER (WHERE status >= 400), sum(cost_usd)"
            " FROM request_log",
        )
        assert rollup[:2] == raw[:2]
        assert abs(float(rollup[2]) - float(raw[2])) < 1e-6
        days = _one(libpq, "SELECT sum(requests), sum(errors), sum(cost_usd) FROM usage_rollup_day")
        assert days[:2] == raw[:2]
        assert abs(float(days[2]) - float(raw[2])) < 1e-6

        tenants = seed.json.loads(creds.read_text())
        db = Database(url)
        try:
            identity = IdentityStore(db)
            now = datetime.now(UTC)
            for tenant in tenants:
                principal = identity.authenticate(tenant["credential"])
                assert principal.client_id == tenant["client_id"]
                agent = identity.authenticate(tenant["agents"][0][2])
                assert agent.token_id == tenant["agents"][0][0]
                report = queries.usage(
                    db,
                    UsageQuery(LedgerScope(tenant["client_id"]), TimeWindow.build(None, None, now)),
                )
                (rows,) = _one(
                    libpq,
                    f"SELECT count(*) FROM request_log WHERE client_id = '{tenant['client_id']}'",
                )
                assert report.totals.requests == rows > 0
        finally:
            db.dispose()

        # A second seed finds rollups already there and adds to them.
        assert (
            seed.main(
                [
                    "--url",
                    url,
                    "-n",
                    "500",
                    "--brands",
                    "1",
                    "--days",
                    "1",
                    "--credentials",
                    str(creds),
                ]
            )
            == 0
        )
        assert _one(libpq, "SELECT sum(requests) FROM usage_rollup") == (3500,)
        assert _one(libpq, "SELECT sum(requests) FROM usage_rollup_day") == (3500,)
