"""``python -m mock_provider`` as a separate process: ready line, serving, clean exit."""

from __future__ import annotations

import asyncio
import re
import signal
import socket
import sys

import aiohttp

READY = re.compile(r"mock provider listening on (http://127\.0\.0\.1:(\d+))\n")


async def spawn(*args: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "mock_provider",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def test_cli_prints_ready_line_serves_and_stops_on_sigterm() -> None:
    process = await spawn("--host", "127.0.0.1", "--port", "0")
    try:
        assert process.stdout is not None
        line = (await asyncio.wait_for(process.stdout.readline(), 15)).decode()
        ready = READY.fullmatch(line)
        assert ready, line
        assert int(ready.group(2)) > 0  # port 0 reports the real port
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"{ready.group(1)}/__mock/health") as response,
        ):
            assert response.status == 200
            assert (await response.json())["status"] == "ok"
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), 10) == 0
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def test_cli_reports_a_busy_port() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        process = await spawn("--port", str(busy.getsockname()[1]))
        _, stderr = await asyncio.wait_for(process.communicate(), 15)
    assert process.returncode == 1
    assert b"failed to start" in stderr
