"""What the browser tests and the no-secret-in-the-logs tests share: a handler that keeps
every log line of the process (the gateway runs in a thread of the test process), and
Debian's chromium launched headless by Playwright (never `playwright install`)."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, sync_playwright

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


class Capture(logging.Handler):
    """Every log line of the process (the gateway runs in a thread of it)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))
        if record.exc_info:
            self.lines.append(logging.Formatter().formatException(record.exc_info))


def captured_logs() -> Iterator[Capture]:
    """For a module fixture: the root logger at DEBUG into a :class:`Capture` meanwhile."""
    handler = Capture()
    root = logging.getLogger()
    old = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield handler
    root.removeHandler(handler)
    root.setLevel(old)


def headless_chromium() -> Iterator[Browser]:
    """For a module fixture: Debian's chromium, failing (never skipping) when it is absent."""
    if not os.path.exists(CHROMIUM):
        pytest.fail(
            f"{CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium; "
            ".ci/run does). The console's browser tests never skip."
        )
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()
