"""The product's processes as production runs them, and the CPU each part uses (from /proc)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from .config import ROOT, WORKERS, environment


def cpu_by_part(parts: dict[str, int]) -> dict[str, float]:
    """CPU seconds so far of each process group (by session id), of PostgreSQL and of Redis."""
    tick = os.sysconf("SC_CLK_TCK")
    totals: dict[str, float] = dict.fromkeys([*parts, "postgresql", "redis"], 0.0)
    sessions = {sid: name for name, sid in parts.items()}
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            raw = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        name = raw[raw.index("(") + 1 : raw.rindex(")")]
        fields = raw[raw.rindex(")") + 2 :].split()
        # Its own time and that of its children already reaped (PostgreSQL's backends and
        # gunicorn's or Celery's processes that ended meanwhile), so nothing that exits
        # during the run is lost.
        used = sum(int(value) for value in fields[11:15]) / tick
        session = int(fields[3])
        if session in sessions:
            totals[sessions[session]] += used
        elif name.startswith("postgres"):
            totals["postgresql"] += used
        elif name.startswith("redis-server"):
            totals["redis"] += used
    return totals


# --- the run -------------------------------------------------------------------------------------


def start(command: list[str], rate: int, log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        command,
        cwd=ROOT,
        env=environment(rate),
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def start_workers(rate: int, logs: Path) -> dict[str, subprocess.Popen]:
    celery = str(Path(sys.executable).with_name("celery"))
    return {
        f"worker-{queue_name}": start(
            [
                celery,
                "-A",
                "urp_portal",
                "worker",
                "-Q",
                queue_name,
                "-c",
                str(concurrency),
                "-n",
                f"{queue_name}-{rate}@%h",
                "-l",
                "warning",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ],
            rate,
            logs / f"worker-{queue_name}-{rate}.log",
        )
        for queue_name, concurrency in WORKERS.items()
    }
