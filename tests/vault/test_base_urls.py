"""The base-URL rule through the CLI (``key add`` / ``key update`` with ``--brand``), the
same ``VaultManager`` path the API takes; the operator's allowed networks open it up."""

from __future__ import annotations

import io
import re
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from gate_service.cli.main import main

SECRET = "gsk_live_0123456789abcdefghijklmnopqrstuv"
KEY_ID = re.compile(r"key_[0-9a-f]{16}")
ALLOW = "SPIDERGATE_ALLOWED_UPSTREAM_NETWORKS"

Run = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def cli(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Run:
    """``spidergate ARGS --data-dir DIR``, in process, with extra environment."""
    for name in ("DATABASE_URL", "SPIDERGATE_DATA_DIR", "SPIDERGATE_VAULT_KEYS", ALLOW):
        monkeypatch.delenv(name, raising=False)

    def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        argv = [*args, "--data-dir", str(tmp_path / "state")]
        with monkeypatch.context() as patch:
            patch.setattr("sys.stdin", io.StringIO(""))
            for name, value in (env or {}).items():
                patch.setenv(name, value)
            try:
                code = main(argv)
            except SystemExit as exit_:
                code = int(exit_.code or 0)
        out, err = capsys.readouterr()
        return subprocess.CompletedProcess(argv, code, out, err)

    return run


def _refused(result: subprocess.CompletedProcess[str], reason: str) -> None:
    assert result.returncode == 1, result.stdout
    assert result.stderr.startswith("error: base_url is refused: "), result.stderr
    assert reason in result.stderr and "Traceback" not in result.stderr


def test_the_cli_refuses_brand_keys_pointing_inside(cli: Run) -> None:
    assert cli("brand", "create", "acme").returncode == 0
    add = ("key", "add", "groq", SECRET, "--brand", "acme", "--base-url")
    _refused(cli(*add, "http://169.254.169.254/"), "169.254.169.254 is a link-local address")
    _refused(cli(*add, "http://localhost:8000/v1"), "'localhost' resolves to 127.0.0.1")
    added = cli("key", "add", "groq", SECRET, "--brand", "acme")
    assert added.returncode == 0, added.stderr
    match = KEY_ID.search(added.stdout)
    assert match is not None
    update = ("key", "update", match.group(), "--brand", "acme", "--base-url")
    _refused(cli(*update, "http://169.254.169.254/"), "link-local")
    _refused(cli(*update, "http://192.168.1.20/v1"), "192.168.1.20 is a private address")
    # The operator's own (pool) keys are not restricted.
    pool = cli("key", "add", "vllm", "", "--base-url", "http://10.0.0.5:8000/v1")
    assert pool.returncode == 0, pool.stderr


def test_the_operator_allows_a_network(cli: Run) -> None:
    assert cli("brand", "create", "acme").returncode == 0
    add = ("key", "add", "vllm", "", "--base-url", "http://10.0.0.5:8000/v1", "--brand", "acme")
    _refused(cli(*add), "10.0.0.5 is a private address")
    allowed = cli(*add, env={ALLOW: "10.0.0.0/8"})
    assert allowed.returncode == 0, allowed.stderr
    # Only that network: the metadata address stays out of reach.
    metadata = (
        "key",
        "add",
        "groq",
        SECRET,
        "--brand",
        "acme",
        "--base-url",
        "http://169.254.169.254",
    )
    _refused(cli(*metadata, env={ALLOW: "10.0.0.0/8"}), "link-local")
