"""Every example of the user's quickstart page (docs/quickstart.txt) works against us.

The examples are extracted from the page itself and run as a user would: the curl lines
in bash with ``SPIDERIQ_TOKEN`` exported, the Python example with the official SDK, the
Node example with the official npm package. Only the public base URL is swapped for the
local one, and the page's placeholder token for a real one.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.stack import Stack

ROOT = Path(__file__).resolve().parents[2]
PAGE = (ROOT / "docs" / "quickstart.txt").read_text()
PUBLIC_BASE = "https://spideriq.ai/api/gate/v1"
PLACEHOLDER_TOKEN = "spideriq_pat_0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d"
NODE_DIR = ROOT / "tests" / "node"


def _curl_commands() -> list[str]:
    commands, current = [], ""
    for line in PAGE.splitlines():
        if current:
            current += "\n" + line
            if not line.rstrip().endswith("\\") and not _open_quote(current):
                commands.append(current)
                current = ""
        elif line.startswith("curl "):
            current = line
            if not line.rstrip().endswith("\\") and not _open_quote(current):
                commands.append(current)
                current = ""
    return commands


def _open_quote(text: str) -> bool:
    return text.count("'") % 2 == 1


def _block(start: str, end_prefix: str) -> str:
    lines = PAGE.splitlines()
    i = next(n for n, line in enumerate(lines) if line.startswith(start))
    j = next(n for n in range(i, len(lines)) if lines[n].startswith(end_prefix))
    return "\n".join(lines[i : j + 1])


def _local(text: str, stack: Stack, token: str) -> str:
    return text.replace(PUBLIC_BASE, stack.base_url).replace(PLACEHOLDER_TOKEN, token)


def test_the_page_has_the_examples_we_run() -> None:
    commands = _curl_commands()
    assert len(commands) == 5, commands
    assert sum("chat/completions" in c for c in commands) == 2


@pytest.mark.parametrize("index", range(5))
def test_curl_examples(stack: Stack, token: str, index: int) -> None:
    command = _local(_curl_commands()[index], stack, token)
    env = {**os.environ, "SPIDERIQ_TOKEN": token}
    out = subprocess.run(
        ["bash", "-c", command], capture_output=True, text=True, env=env, timeout=60, check=True
    ).stdout
    if '"stream": true' in command:
        events = [line[6:] for line in out.splitlines() if line.startswith("data: ")]
        assert events[-1] == "[DONE]"
        first = json.loads(events[0])
        assert first["object"] == "chat.completion.chunk"
        assert first["choices"][0]["delta"]["role"] == "assistant"
        assert first["model"] == "llama-3.3-70b-versatile"
    else:
        body = json.loads(out)
        assert "error" not in body, body
        if "chat/completions" in command:
            assert body["model"] == "llama-3.1-8b-instant"
            assert body["choices"][0]["message"]["content"]
        elif command.rstrip().endswith('/health"'):
            assert body["status"] == "ok"
        elif "/aliases" in command:
            assert len(body["data"]) == 26
        else:
            assert len(body["data"]) == 5


def test_python_example(stack: Stack, token: str, tmp_path: Path) -> None:
    code = _local(_block("from openai import OpenAI", "print("), stack, token)
    script = tmp_path / "quickstart.py"
    script.write_text(code)
    out = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=60, check=True
    ).stdout
    assert out.startswith("Mock reply from codestral-latest")


def test_node_example(stack: Stack, token: str) -> None:
    if shutil.which("node") is None or not (NODE_DIR / "node_modules" / "openai").exists():
        message = "node and tests/node/node_modules are needed (scripts/test.sh installs them)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    code = _local(_block('import OpenAI from "openai";', "console.log("), stack, token)
    script = NODE_DIR / "quickstart.generated.mjs"
    script.write_text(code)
    try:
        out = subprocess.run(
            ["node", str(script)],
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ, "SPIDERIQ_TOKEN": token},
            check=True,
        ).stdout
    finally:
        script.unlink()
    assert re.match(r"Mock reply from codestral-latest", out)
