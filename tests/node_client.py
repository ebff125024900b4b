"""Running the Node gRPC clients in tests/node (``@grpc/grpc-js`` on the .proto files):
the fixture that requires Node, and a runner that returns the one JSON object a client
prints.

Without ``node`` or ``tests/node/node_modules`` (``npm ci`` in tests/node) a test skips
locally and fails under CI (``CI`` set), so CI cannot go green by skipping.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
NODE_DIR = ROOT / "tests" / "node"
REQUIRED_MODULES = ("@grpc/grpc-js", "@grpc/proto-loader")


def _missing_node_reason() -> str | None:
    if shutil.which("node") is None:
        return "`node` is not on PATH"
    for module in REQUIRED_MODULES:
        if not (NODE_DIR / "node_modules" / module / "package.json").is_file():
            return f"tests/node/node_modules/{module} is missing (run `npm ci` in tests/node)"
    return None


@pytest.fixture(scope="module")
def node_available() -> None:
    """Skip (locally) or fail (under CI) before the gateway is even started."""
    reason = _missing_node_reason()
    if reason is not None:
        message = f"Node gRPC client test needs Node: {reason}"
        if os.environ.get("CI"):
            pytest.fail(message + " (CI is set, so this is a failure, not a skip)")
        pytest.skip(message)


def run_node_client(script: str, *args: str) -> dict[str, Any]:
    """Run ``tests/node/<script>`` with ``args``; its one line of JSON, parsed."""
    proc = subprocess.run(
        ["node", str((NODE_DIR / script).relative_to(ROOT)), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, (
        f"{script} exited {proc.returncode}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
    )
    lines = [line for line in proc.stdout.splitlines() if line.strip()]
    assert len(lines) == 1, f"expected one JSON line on stdout, got:\n{proc.stdout}"
    result: dict[str, Any] = json.loads(lines[0])
    return result
