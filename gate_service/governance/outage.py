"""Logging an outage without flooding the log: one warning per interval, not per request.

While a dependency is down every request fails against it; a warning each time would bury
everything else. The first failure is logged at once, then at most one warning per
``interval_s`` with the number of failures left unlogged since the previous one; the
recovery is logged once at INFO.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

WARN_INTERVAL_S = 60.0


class OutageLog:
    """Rate-limited warnings for one dependency; ``policy`` says what requests get meanwhile."""

    def __init__(
        self,
        log: logging.Logger,
        what: str,
        policy: str,
        *,
        interval_s: float = WARN_INTERVAL_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._log = log
        self._what = what
        self._policy = policy
        self._interval_s = interval_s
        self._clock = clock
        self._last_warning_at: float | None = None
        self._suppressed = 0
        self._failing = False

    @property
    def failing(self) -> bool:
        return self._failing

    def failed(self, reason: str) -> None:
        now = self._clock()
        self._failing = True
        if self._last_warning_at is not None and now - self._last_warning_at < self._interval_s:
            self._suppressed += 1
            return
        self._log.warning(
            "%s unavailable (%s); %s (%d more failure(s) since the last warning; next warning "
            "in %.0f s at the earliest)",
            self._what,
            reason,
            self._policy,
            self._suppressed,
            self._interval_s,
        )
        self._last_warning_at = now
        self._suppressed = 0

    def recovered(self) -> None:
        if self._failing:
            self._failing = False
            self._log.info("%s reachable again", self._what)
