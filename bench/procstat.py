"""Memory and CPU of the system under test, read from ``/proc`` (Linux, standard library).

Every system runs in its own process group (:class:`harness.ProcessRegistry` starts it
in a new session), so "the gateway" is every process in that group: SpiderGate's one
``serve`` process, or a server and the workers it forked.

* **RSS** is the sum of ``VmRSS`` over the group. A thread (:class:`RunMeter`) reads it every
  ``interval_s`` during a run; a short spike between two samples could be missed, so the
  peak also takes each process's ``VmHWM`` (its own high-water mark, reset before the run
  through ``/proc/PID/clear_refs``), which catches it for a one-process system. Both are
  lower bounds of the group's true peak, so their maximum is too, and exact for one
  process.
* **CPU** is ``utime + stime`` (``/proc/PID/stat``) summed over the group: the share of
  one core the system used while it was timed.
* **Cores busy** is each core's non-idle time (``/proc/stat``), whoever used it: the
  driver core below 100 % means the load generator and the mock had CPU to spare, so
  they were not what limited the run; the gateway core's busy minus the gateway's own
  CPU is other work on the machine.
"""

from __future__ import annotations

import contextlib
import os
import statistics
import threading
import time
from pathlib import Path

PROC = Path("/proc")
_CLK_TCK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def parse_status(text: str) -> dict[str, int]:
    """The ``kB`` fields of a ``/proc/PID/status`` text (``VmRSS``, ``VmHWM``...), in kB."""
    fields: dict[str, int] = {}
    for line in text.splitlines():
        name, _, value = line.partition(":")
        parts = value.split()
        if len(parts) == 2 and parts[1] == "kB" and parts[0].isdigit():
            fields[name.strip()] = int(parts[0])
    return fields


def parse_stat(text: str) -> tuple[int, float]:
    """(process group id, CPU seconds ``utime + stime``) from a ``/proc/PID/stat`` text.

    The command name (field 2) is in parentheses and may hold spaces or parentheses, so
    the fields are counted from the last ``)``.
    """
    rest = text[text.rindex(")") + 2 :].split()
    # rest[0] is field 3 (state): pgrp is field 5, utime 14, stime 15.
    pgrp = int(rest[2])
    ticks = int(rest[11]) + int(rest[12])
    return pgrp, ticks / _CLK_TCK


def _read(path: Path) -> str | None:
    try:
        return path.read_text()
    except OSError:  # the process ended meanwhile
        return None


def group_pids(pgid: int) -> list[int]:
    """The live processes in process group ``pgid``."""
    pids = []
    for entry in PROC.iterdir():
        if not entry.name.isdigit():
            continue
        text = _read(entry / "stat")
        if text is None:
            continue
        with contextlib.suppress(ValueError, IndexError):
            if parse_stat(text)[0] == pgid:
                pids.append(int(entry.name))
    return pids


def memory_kb(pids: list[int]) -> tuple[int, int]:
    """(sum of VmRSS, largest single VmHWM) over ``pids``, in kB."""
    rss = hwm = 0
    for pid in pids:
        text = _read(PROC / str(pid) / "status")
        if text is None:
            continue
        fields = parse_status(text)
        rss += fields.get("VmRSS", 0)
        hwm = max(hwm, fields.get("VmHWM", 0))
    return rss, hwm


def parse_core_times(text: str) -> dict[int, float]:
    """Busy seconds per core (everything but ``idle`` and ``iowait``) from ``/proc/stat``."""
    busy: dict[int, float] = {}
    for line in text.splitlines():
        name, _, rest = line.partition(" ")
        if not name.startswith("cpu") or not name[3:].isdigit():
            continue
        ticks = [int(v) for v in rest.split()]
        # user nice system idle iowait irq softirq steal (guest time is already in user)
        busy[int(name[3:])] = (sum(ticks[:8]) - ticks[3] - ticks[4]) / _CLK_TCK
    return busy


def core_busy_seconds() -> dict[int, float]:
    return parse_core_times(_read(PROC / "stat") or "")


def cpu_seconds(pgid: int) -> float:
    """CPU seconds used so far by the live processes of group ``pgid``."""
    return cpu_seconds_of(group_pids(pgid) or [pgid])


def cpu_seconds_of(pids: list[int]) -> float:
    """CPU seconds used so far by ``pids`` (those still alive)."""
    total = 0.0
    for pid in pids:
        text = _read(PROC / str(pid) / "stat")
        if text is not None:
            with contextlib.suppress(ValueError, IndexError):
                total += parse_stat(text)[1]
    return total


def reset_peaks(pids: list[int]) -> None:
    """Reset each process's VmHWM to its current RSS (``echo 5 > clear_refs``; Linux 4.0+,
    allowed for our own processes). Silently skipped where it is not allowed."""
    for pid in pids:
        with contextlib.suppress(OSError):
            (PROC / str(pid) / "clear_refs").write_text("5")


def mib(kb: int) -> float:
    return round(kb / 1024, 1)


class RunMeter:
    """Samples a process group's RSS and CPU time in a thread while a run lasts.

    After the run: ``peak_mb`` (see the module docstring) and ``cpu_pct``, the median of
    the CPU rates over consecutive ``window_s`` windows, so the seconds in which the load
    generator was still starting (the gRPC one takes a moment) do not dilute it: a
    saturated core reads ~100. The thread runs on ``core`` (the driver's), off the core
    it measures.
    """

    def __init__(
        self,
        pgid: int,
        *,
        interval_s: float = 0.1,
        window_s: float = 0.5,
        core: int | None = None,
    ) -> None:
        self._pgid = pgid
        self._interval_s = interval_s
        self._window_s = window_s
        self._core = core
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="run-meter", daemon=True)
        self._peak_kb = 0
        self._pids: list[int] = []
        self._cpu: list[tuple[float, float]] = []
        self._cores: list[tuple[float, dict[int, float]]] = []
        self._scanned = 0.0

    def _sample(self) -> None:
        now = time.monotonic()
        if now - self._scanned >= 1.0 or not self._pids:
            self._pids = group_pids(self._pgid) or self._pids
            self._scanned = now
        rss, hwm = memory_kb(self._pids)
        self._peak_kb = max(self._peak_kb, rss, hwm)
        self._cpu.append((now, cpu_seconds_of(self._pids)))
        self._cores.append((now, core_busy_seconds()))

    def _run(self) -> None:
        if self._core is not None:
            with contextlib.suppress(OSError, AttributeError):
                os.sched_setaffinity(0, {self._core})  # this thread only
        while not self._stop.wait(self._interval_s):
            self._sample()

    def __enter__(self) -> RunMeter:
        self._pids = group_pids(self._pgid)
        self._scanned = time.monotonic()
        reset_peaks(self._pids)
        self._sample()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()

    @property
    def peak_mb(self) -> float:
        return mib(self._peak_kb)

    @property
    def cpu_pct(self) -> float | None:
        return window_rate_pct(self._cpu, self._window_s)

    def core_busy_pct(self) -> dict[str, float]:
        """Each core's busy share during the run (same windows as ``cpu_pct``)."""
        cores = sorted(self._cores[-1][1]) if self._cores else []
        out: dict[str, float] = {}
        for core in cores:
            series = [(t, busy.get(core, 0.0)) for t, busy in self._cores]
            pct = window_rate_pct(series, self._window_s)
            if pct is not None:
                out[str(core)] = min(pct, 100.0)
        return out


def window_rate_pct(samples: list[tuple[float, float]], window_s: float) -> float | None:
    """Median CPU rate (% of one core) over consecutive windows of at least ``window_s``
    of ``(time, cpu seconds)`` samples; the whole span's rate when shorter than two
    windows; None with fewer than two samples."""
    if len(samples) < 2:
        return None
    rates: list[float] = []
    start_t, start_cpu = samples[0]
    for t, cpu in samples[1:]:
        if t - start_t >= window_s:
            rates.append((cpu - start_cpu) / (t - start_t))
            start_t, start_cpu = t, cpu
    if len(rates) < 2:
        span = samples[-1][0] - samples[0][0]
        if span <= 0:
            return None
        return round(100 * (samples[-1][1] - samples[0][1]) / span, 1)
    return round(100 * statistics.median(rates), 1)


def idle_rss_mb(pgid: int) -> float:
    """The group's RSS now (called once the system is ready, before any load)."""
    return mib(memory_kb(group_pids(pgid))[0])
