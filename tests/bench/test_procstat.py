"""Reading /proc: the parsers on fixed texts, the meter on a real process."""

from __future__ import annotations

import os
import subprocess
import sys
import time

from procstat import (
    RunMeter,
    group_pids,
    idle_rss_mb,
    parse_core_times,
    parse_stat,
    parse_status,
    window_rate_pct,
)

STATUS = """Name:\tpython
VmPeak:\t  300000 kB
VmHWM:\t  180224 kB
VmRSS:\t  120832 kB
Threads:\t8
"""


def test_status_fields_in_kb() -> None:
    fields = parse_status(STATUS)
    assert fields["VmRSS"] == 120832
    assert fields["VmHWM"] == 180224
    assert "Threads" not in fields  # not a kB field


def test_stat_survives_a_command_name_with_spaces_and_parentheses() -> None:
    # pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime
    text = "4242 (py (x) y) S 1 4240 4240 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 8 0"
    pgrp, cpu = parse_stat(text)
    assert pgrp == 4240
    assert cpu == 300 / os.sysconf("SC_CLK_TCK")


def test_core_busy_time_leaves_out_idle_and_iowait() -> None:
    tick = 1 / os.sysconf("SC_CLK_TCK")
    text = (
        "cpu  300 0 100 900 50 0 0 0 0 0\n"
        "cpu0 200 0 50 400 10 0 0 0 0 0\n"
        "cpu1 100 0 50 500 40 5 5 0 0 0\n"
        "intr 12345 0 0\n"
    )
    busy = parse_core_times(text)
    assert busy == {0: 250 * tick, 1: 160 * tick}


def test_the_cpu_rate_is_the_median_window() -> None:
    # 0.1 s samples: idle for the first second (the generator starting), then busy.
    samples = [(i * 0.1, 0.0) for i in range(11)]
    samples += [(1.0 + i * 0.1, i * 0.1) for i in range(1, 31)]
    assert window_rate_pct(samples, 0.5) == 100.0
    assert window_rate_pct([(0.0, 0.0), (0.3, 0.15)], 0.5) == 50.0  # shorter than a window
    assert window_rate_pct([(0.0, 0.0)], 0.5) is None


def test_the_meter_reads_a_real_process_group() -> None:
    """A child in its own session that allocates ~60 MiB and spins: the meter sees both."""
    code = (
        "b = bytearray(60 * 1024 * 1024); b[::4096] = b'x' * len(b[::4096])\n"
        "print('ready', flush=True)\n"
        "while True: pass"
    )
    child = subprocess.Popen(
        [sys.executable, "-c", code], start_new_session=True, stdout=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout is not None and child.stdout.readline() == "ready\n"
        assert group_pids(child.pid) == [child.pid]
        assert idle_rss_mb(child.pid) > 55
        with RunMeter(child.pid, interval_s=0.05, window_s=0.2) as meter:
            time.sleep(0.8)
        assert meter.peak_mb > 55
        assert meter.cpu_pct is not None and meter.cpu_pct > 5  # spinning, on a busy machine
        busy = meter.core_busy_pct()
        assert set(busy) == {str(n) for n in range(os.cpu_count() or 1)}
        assert max(busy.values()) > 5
    finally:
        child.kill()
        child.wait(10)
