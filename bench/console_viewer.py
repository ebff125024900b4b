"""Someone with the web console open while the benchmark runs (``--console-every S``).

Issue 12 asks that the chat path's throughput be unchanged with the console open. This
thread signs in to ``/console`` with the benchmark's agent token (read-only, as a person
watching their own agent would) and loads the Overview and the Traces list every ``S``
seconds, one after the other, for as long as the timed runs last; the run's req/s is then
compared with a run without it.
"""

from __future__ import annotations

import re
import statistics
import threading
import time

import httpx
from harness import BenchError

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
PAGES = ("/console/overview?window=24h", "/console/traces")


class ConsoleViewer:
    """Loads the console's pages every ``every_s`` seconds in a thread until stopped."""

    def __init__(self, base_url: str, secret: str, every_s: float) -> None:
        self._client = httpx.Client(base_url=base_url, timeout=30, follow_redirects=True)
        self._secret = secret
        self._every_s = every_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="console-viewer", daemon=True)
        self.times_ms: list[float] = []
        self.failures = 0

    def sign_in(self) -> None:
        """The sign-in form's own CSRF token, then the secret: a session cookie."""
        form = self._client.get("/console/login")
        match = _CSRF.search(form.text)
        if form.status_code != 200 or match is None:
            raise BenchError(f"console sign-in page: {form.status_code}")
        answer = self._client.post(
            "/console/login", data={"csrf_token": match.group(1), "secret": self._secret}
        )
        if answer.status_code != 200 or "/console/overview" not in str(answer.url):
            raise BenchError(f"console sign-in refused: {answer.status_code}")

    def __enter__(self) -> ConsoleViewer:
        self.sign_in()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self._client.close()

    def _run(self) -> None:
        while not self._stop.is_set():
            for path in PAGES:
                started = time.perf_counter()
                try:
                    ok = self._client.get(path).status_code == 200
                except httpx.HTTPError:
                    ok = False
                self.times_ms.append((time.perf_counter() - started) * 1000)
                self.failures += not ok
            self._stop.wait(self._every_s)

    def summary(self) -> str:
        if not self.times_ms:
            return "console viewer: no page loaded"
        return (
            f"console viewer: {len(self.times_ms)} page loads, {self.failures} failed, "
            f"p50 {statistics.median(self.times_ms):.0f} ms, max {max(self.times_ms):.0f} ms"
        )
