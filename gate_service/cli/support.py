"""What the operator commands share: opening the database, failing cleanly, printing.

Each command opens the configured database (``--data-dir`` / ``--database-url``),
migrates it first so any command works on a fresh data directory, and exits 1 with
``error: <message>`` on stderr when something is wrong. Tables go to stdout; notes for
humans go to stderr so scripts can read stdout alone.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from datetime import datetime

from sqlalchemy.exc import OperationalError

from gate_service.auth.identity import IdentityStore
from gate_service.auth.views import BrandView
from gate_service.config import Settings
from gate_service.errors import GateError
from gate_service.storage.database import Database
from gate_service.vault.cipher import VaultKeyError

Handler = Callable[[argparse.Namespace, Settings], int]
Action = Callable[[argparse.Namespace, Settings, Database], int]
SubParsers = argparse._SubParsersAction


def handler(action: Action) -> Handler:
    """Wrap a command: open and migrate the database, turn failures into exit status 1."""

    def run(args: argparse.Namespace, settings: Settings) -> int:
        try:
            db = Database.from_settings(settings)
        except OSError as error:
            return fail(f"cannot open the data directory: {error}")
        try:
            db.migrate()
            return action(args, settings, db)
        except GateError as error:
            return fail(error.message)
        except VaultKeyError as error:
            return fail(f"vault: {error}")
        except OperationalError as error:
            return fail(f"database unavailable: {error.orig or error}")
        finally:
            db.dispose()

    run.__name__ = action.__name__
    run.__doc__ = action.__doc__
    return run


def fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 1


def note(message: str) -> None:
    """A line for the human at the terminal, kept out of stdout."""
    sys.stdout.flush()
    print(message, file=sys.stderr, flush=True)


def brand_named(store: IdentityStore, name: str) -> BrandView:
    brand = store.brand_by_name(name)
    if brand is None:
        raise GateError("not_found", f"brand '{name}' not found")
    return brand


def when(moment: datetime | None) -> str:
    return "-" if moment is None else moment.strftime("%Y-%m-%d %H:%M:%S")


def table(header: Sequence[str], rows: Sequence[Sequence[str]], empty: str) -> None:
    if not rows:
        note(empty)
        return
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        print(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        )
