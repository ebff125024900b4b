"""Entry point of the ``spidergate`` command: parses arguments and dispatches.

Subcommands live in their own modules (``serve``, ``admin``); each registers its parsers
and a handler ``handler(args, settings) -> int``. Every command takes ``--data-dir`` and
``--database-url`` so a second gateway on the same machine is one flag away.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from gate_service.config import Settings


def common_parser() -> argparse.ArgumentParser:
    """Options every subcommand accepts (a parent parser)."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--data-dir", help="state folder (default ~/.spidergate)")
    common.add_argument("--database-url", help="SQLAlchemy URL, e.g. postgresql+psycopg://...")
    return common


def build_parser() -> argparse.ArgumentParser:
    """The full parser tree."""
    from gate_service.cli import admin, catalog, serve

    parser = argparse.ArgumentParser(
        prog="spidergate", description="SpiderGate: an OpenAI-compatible LLM gateway."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    common = common_parser()
    serve.register(sub, common)
    admin.register(sub, common)
    catalog.register(sub, common)
    return parser


def settings_from_args(args: argparse.Namespace) -> Settings:
    """Settings from the environment, overridden by whatever flags were given."""
    return Settings.from_env(
        data_dir=getattr(args, "data_dir", None),
        database_url=getattr(args, "database_url", None),
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; the exit status is the handler's."""
    parser = build_parser()
    args = parser.parse_args(argv)
    settings = settings_from_args(args)
    handler = args.handler
    return int(handler(args, settings) or 0)


if __name__ == "__main__":
    sys.exit(main())
