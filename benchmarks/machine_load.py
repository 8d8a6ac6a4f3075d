"""How busy the machine was with OTHER processes while a benchmark ran.

The load average counts the benchmark itself (its process and its PostgreSQL backend are
runnable most of the time: about 1 of it is ours), so on a shared machine it cannot say
whether the figures were taken alone. This reads the CPU time every process spent
(/proc/stat) and takes away the benchmark's own (its process, its children, and the
PostgreSQL backends it names): what is left is the others', as a share of all the CPUs.
PostgreSQL's own helpers (parallel workers, the WAL writer, checkpoints, autovacuum after a
plan's writes) count as others: the share errs on the side of "not quiet".
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

TICK = os.sysconf("SC_CLK_TCK")
# Others using less than this share of the CPUs: the run is called quiet.
QUIET_SHARE = 0.10


def _busy_seconds() -> float:
    """CPU seconds spent by every process since boot (all CPUs), idle and iowait left out."""
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(f) for f in fields[:8])
    return (user + nice + system + irq + softirq + steal) / TICK


def process_cpu_seconds(pid: int) -> float:
    """CPU (user + system) spent so far by one process; NaN when it cannot be read."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / TICK


@dataclass
class OthersLoad:
    share: float  # of all the CPUs, 0..1
    load_average: float  # the 1-minute load average at the end, ours included

    @property
    def quiet(self) -> bool:
        return self.share < QUIET_SHARE

    def describe(self) -> str:
        verdict = (
            "quiet"
            if self.quiet
            else "NOT quiet: wall-clock figures inflated, read the CPU columns"
        )
        return (
            f"other processes used {self.share:.0%} of the {os.cpu_count()} CPUs during the "
            f"run (load average {self.load_average:.1f}, this run's own included): {verdict}"
        )


class OthersLoadMeter:
    """Start it, run the benchmark, then `stop(backend_pids)`: the others' share of the CPUs
    meanwhile. Our process's CPU includes its waited-for children (os.times)."""

    def __init__(self) -> None:
        self.started = time.monotonic()
        self.busy = _busy_seconds()
        self.ours = self._our_seconds()
        self.backends: dict[int, float] = {}

    @staticmethod
    def _our_seconds() -> float:
        times = os.times()
        return times.user + times.system + times.children_user + times.children_system

    def watch_backend(self, pid: int) -> None:
        """A PostgreSQL backend serving the benchmark: its CPU is the benchmark's own."""
        self.backends.setdefault(pid, process_cpu_seconds(pid))

    def stop(self) -> OthersLoad:
        elapsed = time.monotonic() - self.started
        busy = _busy_seconds() - self.busy
        ours = self._our_seconds() - self.ours
        for pid, before in self.backends.items():
            spent = process_cpu_seconds(pid) - before
            if spent == spent:  # a backend that has ended is not counted (NaN)
                ours += spent
        share = max(busy - ours, 0.0) / (elapsed * (os.cpu_count() or 1)) if elapsed else 0.0
        return OthersLoad(share=share, load_average=os.getloadavg()[0])
