"""Webhook throughput and latency under gunicorn on PostgreSQL, beside a bare Django view.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/urp_gateway_bench \
    REDIS_URL=redis://127.0.0.1:6379/1 .venv/bin/python benchmarks/webhook_throughput.py

Needs `wrk` (Debian package) and `taskset` on PATH, and the right to move PostgreSQL's and Redis's
processes to other CPUs (root). Writes benchmarks/results/webhook_throughput.txt.
Goals: webhook throughput >= half the bare view's; p99 < 50 ms at a fixed 200 requests/s.

Two layouts, both measured in every run (LAYOUTS): "split" gives gunicorn CPUs of its own, with
PostgreSQL, Redis and the load tools on the others, as in production, where the database and
Meta's senders are other machines; "shared" puts them all on all the CPUs. On a 2-CPU machine
the shared layout makes the webhook pay for PostgreSQL's and Redis's CPU and for their
processes' context switches in the web server's CPUs, which the bare view does not use.
"""

from __future__ import annotations

import collections
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))

from throughput.load import (
    CONNECTIONS,
    SECRET,
    SLICE_SECONDS,
    SLICES,
    WRK_SCRIPT,
    body,
    fixed_rate,
    sign,
    wrk,
)
from throughput.report import layout_report

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results" / "webhook_throughput.txt"
DATABASE_URL = os.environ.get(
    "DATABASE_URL", "postgres://postgres@127.0.0.1:5432/urp_gateway_bench"
)
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/1")
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "5"))
# Only to compare another server shape (e.g. "--worker-class sync --threads 1"); the results
# file says which was used.
EXTRA_GUNICORN_ARGS = os.environ.get("BENCH_GUNICORN_ARGS", "").split()
BARE_PATH = "/bench/bare/"
HOOK_PATH = "/webhooks/whatsapp/meta/"
BODIES = 240_000


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def environment() -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench_site",
        "PYTHONPATH": f"{ROOT / 'benchmarks'}:{ROOT}",
        "DATABASE_URL": DATABASE_URL,
        "REDIS_URL": REDIS_URL,
        "DEBUG": "false",
        "SECRET_KEY": "bench-secret-key-not-for-production-0123456789",
        "URP_PSEUDONYM_KEY": "bench-pseudonym-key-not-for-production-0123456789",
        "SECURE_SSL_REDIRECT": "false",
        "WHATSAPP_APP_SECRET": SECRET,
        "WHATSAPP_GATEWAY": "meta",
        # A real backend's URL, as DEBUG off requires; the benchmark sends no email.
        "EMAIL_URL": "smtp://127.0.0.1:25",
    }


def prepare_database() -> None:
    name = DATABASE_URL.rsplit("/", 1)[1]
    subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc", f"DROP DATABASE IF EXISTS {name}"],
        check=True,
    )
    subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc", f"CREATE DATABASE {name}"], check=True
    )
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=environment(), check=True
    )


def purge_queue() -> None:
    import redis

    # The Celery queues (settings' CELERY_TASK_QUEUES) and the webhooks' hand-off lists and
    # flags (urp_portal/gateway/event_queue.py).
    redis.Redis.from_url(REDIS_URL).delete(
        "celery",
        "citizens",
        "statuses",
        "broadcasts",
        "housekeeping",
        "urp:webhook-events",
        "urp:webhook-events:drain-due",
        "urp:webhook-statuses",
        "urp:webhook-statuses:drain-due",
    )


def cpu_seconds(gunicorn_pid: int) -> dict[str, float]:
    """CPU seconds (user + system) used so far by the web server's processes (its session),
    PostgreSQL's and Redis's: read before and after a run, they say where a request's CPU goes
    on a machine whose CPUs are the limit."""
    tick = os.sysconf("SC_CLK_TCK")
    used = {"web": 0.0, "postgres": 0.0, "redis": 0.0}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        command = stat[stat.index("(") + 1 : stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2 :].split()
        session = int(fields[3])
        group = (
            "web" if session == gunicorn_pid
            else "postgres" if command.startswith("postgres")
            else "redis" if command.startswith("redis-server")
            else None
        )  # fmt: skip
        if group:
            used[group] += (int(fields[11]) + int(fields[12])) / tick
    return used


def bench_database():
    """A psycopg connection to the benchmark's database, in autocommit."""
    import psycopg

    return psycopg.connect(DATABASE_URL.replace("postgres://", "postgresql://"), autocommit=True)


def commits_and_events() -> tuple[int, int]:
    name = DATABASE_URL.rsplit("/", 1)[1]
    with bench_database() as c:
        c.execute("SELECT pg_stat_clear_snapshot()")
        commits = c.execute(
            "SELECT xact_commit FROM pg_stat_database WHERE datname = %s", (name,)
        ).fetchone()[0]
        events = c.execute("SELECT count(*) FROM gateway_webhookevent").fetchone()[0]
    return commits, events


def connections_per_process(port: int) -> list[int]:
    """How wrk's connections are spread over gunicorn's processes, most first: each process
    takes the connections it happens to accept, and a process holding many of them runs their
    requests under one GIL."""
    if not shutil.which("ss"):
        return []
    listing = subprocess.run(
        ["ss", "-tnpH", "state", "established", f"( sport = :{port} )"],
        capture_output=True, text=True, check=False,
    ).stdout  # fmt: skip
    return sorted(collections.Counter(re.findall(r"pid=(\d+)", listing)).values(), reverse=True)


def wrk_with_cpu(gunicorn_pid: int, port: int, *args: Any, cpus: set[int]) -> dict[str, Any]:
    spread: list[list[int]] = []
    sampler = threading.Timer(
        SLICE_SECONDS / 2, lambda: spread.append(connections_per_process(port))
    )
    commits_before, events_before = commits_and_events()
    before = cpu_seconds(gunicorn_pid)
    sampler.start()
    result: dict[str, Any] = dict(wrk(*args, cpus=cpus))
    after = cpu_seconds(gunicorn_pid)
    sampler.join()
    commits_after, events_after = commits_and_events()
    result["cpu"] = {k: after[k] - before[k] for k in after}
    result["spread"] = spread[0] if spread else []
    result["commits"] = commits_after - commits_before
    result["events"] = events_after - events_before
    return result


def combined(slices: list[dict[str, Any]]) -> dict[str, Any]:
    """One view's slices of a round as one run: requests over seconds, CPU per request, webhooks
    per commit; the median slice's p50 and the worst slice's p99."""
    requests_done = sum(run["requests"] for run in slices)
    return {
        "rps": requests_done / sum(run["seconds"] for run in slices),
        "p50": statistics.median(run["p50"] for run in slices),
        "p99": max(run["p99"] for run in slices),
        "non2xx": sum(run["non2xx"] for run in slices),
        "cpu_ms": {
            k: sum(run["cpu"][k] for run in slices) * 1000 / requests_done for k in slices[0]["cpu"]
        },
        "spreads": [run["spread"] for run in slices],
        # Rows per commit: how many webhooks a group commit wrote together (the bare view: none).
        "rows_per_commit": sum(run["events"] for run in slices)
        / max(1, sum(run["commits"] for run in slices)),
    }


def alternated_round(
    gunicorn_pid: int,
    port: int,
    base: str,
    script: Path,
    lines: Path,
    first_slot: int,
    slots: str,
    cpus: set[int],
) -> tuple[dict[str, Any], dict[str, Any]]:
    """A round of both views, alternated slice by slice (ABBA, so neither always goes first).
    Each webhook slice posts bodies of its own (slots from first_slot on), never posted before."""
    runs: dict[str, list[dict[str, Any]]] = {BARE_PATH: [], HOOK_PATH: []}
    for i in range(SLICES):
        slot = str(first_slot + i)
        order = (BARE_PATH, HOOK_PATH) if i % 2 == 0 else (HOOK_PATH, BARE_PATH)
        for path in order:
            runs[path].append(
                wrk_with_cpu(
                    gunicorn_pid, port, base, script, [str(lines), slot, path, slots], cpus=cpus
                )
            )
    return combined(runs[BARE_PATH]), combined(runs[HOOK_PATH])


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def wait_until_every_worker_answers(base: str) -> None:
    """On a busy machine the workers boot one by one; measuring before the last one is up
    would count its boot. Ready when 50 POSTs in a row are answered quickly."""
    deadline = time.time() + 180
    streak = 0
    while streak < 50:
        if time.time() > deadline:
            sys.exit("gunicorn did not come up")
        try:
            requests.post(f"{base}{BARE_PATH}", data=b"{}", timeout=1)
            streak += 1
        except requests.RequestException:
            streak = 0
            time.sleep(0.5)


def start_gunicorn(port: int, cpus: set[int]) -> subprocess.Popen:
    # Started from the project folder, so gunicorn reads gunicorn.conf.py: production's shape.
    # Its processes run on `cpus` (they inherit the affinity set before gunicorn starts).
    return subprocess.Popen(
        ["taskset", "-c", ",".join(map(str, sorted(cpus))),
         str(Path(sys.executable).with_name("gunicorn")), "urp_portal.wsgi",
         "-b", f"127.0.0.1:{port}", "--log-level", "warning", *EXTRA_GUNICORN_ARGS],
        cwd=ROOT, env=environment(), start_new_session=True,
    )  # fmt: skip


def server_shape() -> str:
    import runpy

    if not (ROOT / "gunicorn.conf.py").exists():
        return f"no gunicorn.conf.py; {' '.join(EXTRA_GUNICORN_ARGS) or 'gunicorn defaults'}"
    conf = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    shape = (
        f"gunicorn.conf.py: {conf['workers']} {conf['worker_class']} workers x "
        f"{conf.get('threads', 1)} threads"
    )
    return shape + (
        f", overridden by {' '.join(EXTRA_GUNICORN_ARGS)}" if EXTRA_GUNICORN_ARGS else ""
    )


# The layouts the benchmark measures, both in every run.
LAYOUTS = {
    "split": "gunicorn alone on the first half of the CPUs; PostgreSQL, Redis and the load "
    "tools on the other half, as a database server and Meta's senders are other machines",
    "shared": "gunicorn, PostgreSQL, Redis and the load tools all on all the CPUs",
}


def layout_cpus(layout: str) -> tuple[set[int], set[int]]:
    """(the web server's CPUs, everything else's)."""
    every = sorted(os.sched_getaffinity(0))
    if layout == "shared" or len(every) < 2:
        return set(every), set(every)
    half = len(every) // 2
    return set(every[:half]), set(every[half:])


def pin_services(cpus: set[int]) -> None:
    """PostgreSQL's and Redis's running processes (every thread) onto `cpus`; the backends
    PostgreSQL forks later inherit its postmaster's. Needs the right to do so (root)."""
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            command = Path(f"/proc/{pid}/comm").read_text().strip()
            if not command.startswith(("postgres", "redis-server")):
                continue
            for task in os.listdir(f"/proc/{pid}/task"):
                os.sched_setaffinity(int(task), cpus)
        except (FileNotFoundError, ProcessLookupError):
            continue  # gone meanwhile
        except PermissionError:
            sys.exit(f"cannot move process {pid} ({command}) to other CPUs: run as root")


def measure_layout(layout: str, lines: Path, script: Path, first_slot: int) -> dict[str, Any]:
    web_cpus, other_cpus = layout_cpus(layout)
    every = os.sched_getaffinity(0)
    try:
        pin_services(other_cpus)
        os.sched_setaffinity(0, other_cpus)  # this process is the fixed-rate client
        rounds = measure_rounds(lines, script, first_slot, web_cpus, other_cpus)
    finally:
        pin_services(every)
        os.sched_setaffinity(0, every)
    return {"rounds": rounds, "web_cpus": web_cpus, "other_cpus": other_cpus}


def measure_rounds(
    lines: Path,
    script: Path,
    first_slot: int,
    web_cpus: set[int],
    other_cpus: set[int],
) -> list[dict[str, Any]]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    gunicorn = start_gunicorn(port, web_cpus)
    rounds: list[dict[str, Any]] = []
    try:
        wait_until_every_worker_answers(base)
        # Each wrk run posts two threads' shares of the bodies (a slot); one more slot for the
        # warm-up.
        warm_up = first_slot + ROUNDS * SLICES
        slots = str(len(LAYOUTS) * (ROUNDS * SLICES + 1) * 2)
        # Both paths warm up: the webhook's first round would otherwise also pay for opening
        # each thread's database connection and each process's Redis client.
        for path in (BARE_PATH, HOOK_PATH):
            for _ in range(2):
                wrk(base, script, [str(lines), str(warm_up), path, slots], other_cpus)
        for n in range(ROUNDS):
            load_before = load_average()
            # The same signed bodies to both: only the view differs.
            bare, hook = alternated_round(
                gunicorn.pid, port, base, script, lines, first_slot + n * SLICES, slots, other_cpus
            )
            bare_fixed = fixed_rate(BARE_PATH, port, first=10_000_000 * (n + 1))
            hook_fixed = fixed_rate(HOOK_PATH, port, first=10_000_000 * (n + 1) + 500_000)
            rounds.append(
                {"bare": bare, "hook": hook, "bare_fixed": bare_fixed,
                 "hook_fixed": hook_fixed, "load": f"{load_before} -> {load_average()}"}
            )  # fmt: skip
    finally:
        os.killpg(gunicorn.pid, signal.SIGTERM)
        gunicorn.wait(timeout=30)
    return rounds


def main() -> None:
    if not shutil.which("wrk"):
        sys.exit("wrk is needed: apt-get install wrk")
    prepare_database()
    purge_queue()
    measured: dict[str, dict[str, Any]] = {}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            lines = Path(tmp) / "bodies.tsv"
            with lines.open("w") as handle:
                for n in range(BODIES):
                    data = body(n)
                    handle.write(f"{sign(data)}\t{data.decode()}\n")
            script = Path(tmp) / "post.lua"
            script.write_text(WRK_SCRIPT)
            for number, layout in enumerate(LAYOUTS):
                measured[layout] = measure_layout(
                    layout, lines, script, first_slot=number * (ROUNDS * SLICES + 1)
                )
        _commits, stored = commits_and_events()
    finally:
        purge_queue()
    lines_out = [
        f"Webhook throughput: gunicorn on PostgreSQL, Redis broker ({server_shape()})",
        f"machine: {os.cpu_count()} CPUs shared with other jobs, loopback; wrk -t2 -c{CONNECTIONS}",
        f"PostgreSQL commit (fsync) on this disk: {commit_latency_ms():.1f} ms",
        "both views get the same signed POST bodies through the same middleware stack",
        f"{ROUNDS} rounds per layout (medians of the rounds); in each round, each view runs "
        f"{SLICES} x {SLICE_SECONDS} s,",
        "alternated with the other's slices (bare, webhook, webhook, bare, ...): "
        "p50 of the median slice, p99 of the worst",
    ]
    for layout, result in measured.items():
        lines_out += ["", "=" * 100, f"layout {layout!r}: {LAYOUTS[layout]}"]
        lines_out += layout_report(result)
    lines_out.append(f"events stored in the benchmark database: {stored}")
    report = "\n".join(lines_out) + "\n"
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(report)
    print(report)


def commit_latency_ms() -> float:
    with bench_database() as c:
        c.execute("CREATE TEMP TABLE fsync_probe (n int)")
        c.execute("CREATE TABLE IF NOT EXISTS bench_fsync_probe (n int)")
        started = time.perf_counter()
        for n in range(50):
            c.execute("INSERT INTO bench_fsync_probe VALUES (%s)", (n,))
        elapsed = (time.perf_counter() - started) / 50 * 1000
        c.execute("DROP TABLE bench_fsync_probe")
    return elapsed


if __name__ == "__main__":
    main()
