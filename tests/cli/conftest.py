"""Database fixtures (``database_url``, ``db``) parametrised over SQLite and PostgreSQL,
and ``main_runner``: the ``spidergate`` command run in this process.

Each command used to run in its own ``python -m gate_service.cli.main`` subprocess; the
interpreter start and imports cost ~1 s a command, ~2 minutes of the suite in all. The
commands now run through ``main(argv)`` with stdin, stdout, stderr and the environment
swapped for the call; ``test_admin.py`` keeps two real subprocess runs as smoke tests of
the entry point itself.
"""

from __future__ import annotations

import io
import subprocess
import sys
from collections.abc import Callable

import pytest

from gate_service.cli.main import main
from tests.db_backends import database_url, db

__all__ = ["database_url", "db", "main_runner"]

MainRunner = Callable[..., subprocess.CompletedProcess[str]]
# What a user's shell could set that would point the commands somewhere else.
AMBIENT = ("DATABASE_URL", "SPIDERGATE_DATA_DIR", "SPIDERGATE_VAULT_KEYS")


@pytest.fixture
def main_runner(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> MainRunner:
    """``main_runner(*argv, stdin=None, env=None)``: run one command in-process and return
    what a subprocess would (exit status, stdout, stderr). ``SystemExit`` (argparse usage
    errors) becomes the exit status; any other exception fails the test, which is stricter
    than a subprocess's traceback on stderr."""
    for name in AMBIENT:
        monkeypatch.delenv(name, raising=False)

    def run(
        *argv: str, stdin: str | None = None, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        capsys.readouterr()  # start from empty buffers
        with monkeypatch.context() as patch:
            patch.setattr("sys.stdin", io.StringIO(stdin or ""))
            for name, value in (env or {}).items():
                patch.setenv(name, value)
            try:
                code = main(list(argv))
            except SystemExit as exit_:
                code = exit_status(exit_)
        out, err = capsys.readouterr()
        return subprocess.CompletedProcess(list(argv), code, out, err)

    return run


def exit_status(exit_: SystemExit) -> int:
    """The status the interpreter would exit with (a message is printed, then 1)."""
    if exit_.code is None or isinstance(exit_.code, int):
        return exit_.code or 0
    print(exit_.code, file=sys.stderr)
    return 1
