"""Catalogue commands: ``catalog probe``.

``spidergate catalog probe`` asks every configured model (a chat model of a provider
with an active key in the vault) whether it answers and whether it can call tools, and
records the verdicts in ``model_probe`` (:mod:`gate_service.catalog.probes`). Running
gateways read them within their refresh interval: ``/models`` shows them and alias
administration refuses tool-less models in tool aliases. The calls are real provider
calls (two per model, a few tokens each) but go through no budget and no ledger.
"""

from __future__ import annotations

import argparse
import asyncio

from gate_service.catalog import persist
from gate_service.catalog.probe_store import ProbeResult, save_probes
from gate_service.catalog.probes import ProbeKey, configured_models, probe_model
from gate_service.cli.support import SubParsers, handler, note, table, when
from gate_service.config import Settings
from gate_service.providers.address_policy import AddressPolicy
from gate_service.providers.registry import default_adapters
from gate_service.providers.transport import create_session, restrict_base_urls
from gate_service.storage.database import Database
from gate_service.vault.cipher import load_cipher
from gate_service.vault.keys import KeyStore

# Models probed at once: enough to finish a catalogue in seconds, few enough not to trip
# a provider's per-key rate limit.
CONCURRENCY = 4


def register(sub: SubParsers, common: argparse.ArgumentParser) -> None:
    group = sub.add_parser("catalog", help="probe the catalogue's models")
    commands = group.add_subparsers(dest="catalog_command", required=True)
    probe = commands.add_parser(
        "probe",
        parents=[common],
        help="call each configured model plainly and with a tool; record what it can do",
    )
    probe.add_argument("--provider", help="only this provider's models")
    probe.add_argument("--model", help="only this model (catalog id provider/model)")
    probe.add_argument(
        "--timeout", type=float, default=30.0, metavar="S", help="per call (default 30 s)"
    )
    probe.set_defaults(handler=handler(catalog_probe))


def catalog_probe(args: argparse.Namespace, settings: Settings, db: Database) -> int:
    """``catalog probe [--provider P] [--model ID]``: one line per model probed."""
    results = asyncio.run(_probe(args, settings, db))
    save_probes(db, results)
    table(
        ("MODEL", "STATUS", "TOOLS", "PROBED_AT"),
        [
            (
                r.model_id,
                r.status,
                "-" if r.supports_tools is None else str(r.supports_tools).lower(),
                when(r.probed_at),
            )
            for r in results
        ],
        "No configured model to probe (add a key with `spidergate key add`).",
    )
    if results:
        note(f"Recorded {len(results)} probe results; running gateways read them shortly.")
    return 0


async def _probe(args: argparse.Namespace, settings: Settings, db: Database) -> list[ProbeResult]:
    persist.seed_if_empty(db.session_factory())
    catalog = persist.load_from_db(db.session_factory())
    records = KeyStore(db, load_cipher(settings)).active_keys()
    # Pool keys first: the operator's accounts pay for the probe before a brand's do.
    ordered = sorted(records, key=lambda r: r.view.client_id is not None)
    keys = [ProbeKey(r.view.provider, r.secret, r.view.base_url) for r in ordered]
    adapters = default_adapters()
    models = configured_models(
        catalog,
        adapters,
        keys,
        lambda m: (
            (args.provider is None or m.provider == args.provider)
            and (args.model is None or m.id == args.model)
        ),
    )
    session = create_session(AddressPolicy.from_settings(settings.allowed_upstream_networks))
    # Brand keys' own addresses are checked as routing checks them.
    restrict_base_urls(
        session, {r.view.base_url for r in records if r.view.client_id and r.view.base_url}
    )
    limit = asyncio.Semaphore(CONCURRENCY)

    async def one(index: int) -> ProbeResult:
        model, key = models[index]
        provider = catalog.provider(model.provider)
        assert provider is not None  # configured_models kept only known providers
        async with limit:
            return await probe_model(
                session, provider, adapters[provider.api_format], model, key,
                timeout_s=args.timeout,
            )  # fmt: skip

    try:
        return list(await asyncio.gather(*(one(i) for i in range(len(models)))))
    finally:
        await session.close()
