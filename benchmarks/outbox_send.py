# ruff: noqa: E501  (the report is a fixed-width table)
"""Outbox sending speed against the fake Graph API, and the shared rate limiter's ceiling.

    REDIS_URL=redis://127.0.0.1:6379/1 .venv/bin/python benchmarks/outbox_send.py

(a) 10,000 sends with the limiter off through one worker process (concurrency 1), beside a bare
loop of `requests` posts to the same server; (b) with the limiter at 80/s and 4 worker
processes, the most sends the server saw in any one-second window. PostgreSQL database
`urp_gateway_bench` (created anew). Writes benchmarks/results/outbox_send.txt.
"""

from __future__ import annotations

import os
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "benchmarks" / "results" / "outbox_send.txt"
DATABASE_URL = os.environ.get(
    "DATABASE_URL", "postgres://postgres@127.0.0.1:5432/urp_gateway_bench"
)
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/1")
SENDS = int(os.environ.get("BENCH_SENDS", "10000"))
RUNS = int(os.environ.get("BENCH_RUNS", "3"))
LIMITED_SENDS = 800
os.environ.update(
    DJANGO_SETTINGS_MODULE="urp_portal.settings",
    DATABASE_URL=DATABASE_URL,
    REDIS_URL=REDIS_URL,
    # Production settings: DEBUG would record every query and slow each one down.
    DEBUG="false",
    SECRET_KEY="benchmark-only-" + "k" * 50,
    URP_PSEUDONYM_KEY="benchmark-only-" + "p" * 50,
    LOG_LEVEL="WARNING",
)


def recreate_database(url: str) -> None:
    """A fresh database of that name (run by main, not on import: campaign_fanout.py imports
    this harness for its bare loop, worker start and window count)."""
    name = url.rsplit("/", 1)[1]
    subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc", f"DROP DATABASE IF EXISTS {name}"],
        check=True,
    )
    subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc", f"CREATE DATABASE {name}"], check=True
    )


if __name__ == "__main__":
    recreate_database(DATABASE_URL)

import django  # noqa: E402

django.setup()

import requests  # noqa: E402
from django.core.management import call_command  # noqa: E402

from tests.fixtures.fake_graph import ACCESS_TOKEN, PHONE_NUMBER_ID, FakeGraph  # noqa: E402
from urp_portal.celery import app  # noqa: E402
from urp_portal.gateway import ratelimit  # noqa: E402
from urp_portal.gateway.models import OutboundMessage  # noqa: E402
from urp_portal.gateway.services.outbox import enqueue_send  # noqa: E402


def bare_loop(graph: FakeGraph, count: int) -> float:
    session = requests.Session()
    payload = {"messaging_product": "whatsapp", "to": "393400000000", "type": "text",
               "text": {"body": "bare"}}  # fmt: skip
    url = f"{graph.url}/{PHONE_NUMBER_ID}/messages"
    started = time.perf_counter()
    for _ in range(count):
        session.post(url, json=payload, headers={"Authorization": f"Bearer {ACCESS_TOKEN}"})
    return count / (time.perf_counter() - started)


def start_worker(graph: FakeGraph, *, concurrency: int, rate: int) -> subprocess.Popen:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "WHATSAPP_GATEWAY": "meta",
        "WHATSAPP_GRAPH_URL": graph.url,
        "WHATSAPP_PHONE_NUMBER_ID": PHONE_NUMBER_ID,
        "WHATSAPP_ACCESS_TOKEN": ACCESS_TOKEN,
        "WHATSAPP_RATE_PER_SECOND": str(rate),
        "LOG_LEVEL": "WARNING",
    }
    return subprocess.Popen(
        [str(Path(sys.executable).with_name("celery")), "-A", "urp_portal", "worker",
         "--concurrency", str(concurrency), "--loglevel", "WARNING",
         "--without-gossip", "--without-mingle", "--without-heartbeat"],
        cwd=ROOT, env=env, start_new_session=True,
    )  # fmt: skip


def create(count: int, prefix: str) -> list[int]:
    rows = OutboundMessage.objects.bulk_create(
        OutboundMessage(to=f"+39{prefix}{i:07d}", purpose="bench", template_name="avviso")
        for i in range(count)
    )
    return [r.pk for r in rows]


def run(graph: FakeGraph, ids: list[int], *, concurrency: int, rate: int) -> list[float]:
    before = len(graph.sent_messages())
    for message_id in ids:
        enqueue_send(message_id)
    worker = start_worker(graph, concurrency=concurrency, rate=rate)
    try:
        deadline = time.time() + 1800
        while len(graph.sent_messages()) - before < len(ids) and time.time() < deadline:
            time.sleep(0.2)
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(timeout=60)
    return [r.at for r in graph.sent_messages()[before:]]


def max_in_window(times: list[float]) -> tuple[int, int]:
    """(most sends in any sliding one-second window, most in any calendar second)."""
    times = sorted(times)
    best, j = 0, 0
    for i, t in enumerate(times):
        while times[j] <= t - 1.0:
            j += 1
        best = max(best, i - j + 1)
    per_second: dict[int, int] = {}
    for t in times:
        per_second[int(t)] = per_second.get(int(t), 0) + 1
    return best, max(per_second.values())


def queries_per_send(graph: FakeGraph) -> tuple[int, list[str]]:
    """The database statements of one send through the service, in this process (a worker adds
    one: Django's connection health check before each task)."""
    from django.conf import settings
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from urp_portal.gateway.adapters import clear_adapter_cache
    from urp_portal.gateway.services import outbound_message_send

    settings.WHATSAPP_GATEWAY = "meta"
    settings.WHATSAPP_GRAPH_URL = graph.url
    settings.WHATSAPP_PHONE_NUMBER_ID = PHONE_NUMBER_ID
    settings.WHATSAPP_ACCESS_TOKEN = ACCESS_TOKEN
    clear_adapter_cache()
    (message_id,) = create(1, "349")
    with CaptureQueriesContext(connection) as queries:
        outbound_message_send(message_id=message_id)
    return len(queries), [q["sql"][:90] for q in queries.captured_queries]


def rate_of(times: list[float]) -> float:
    return (len(times) - 1) / (max(times) - min(times))


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    call_command("migrate", verbosity=0)
    app.control.purge()
    ratelimit.reset_redis()
    graph = FakeGraph()
    bare: list[float] = []
    one_worker: list[float] = []
    limited: list[tuple[int, int, float]] = []
    loads: list[str] = []
    try:
        queries, statements = queries_per_send(graph)
        for n in range(RUNS):
            loads.append(load_average())
            bare.append(bare_loop(graph, 2000))
            one_worker.append(rate_of(run(graph, create(SENDS, f"34{n}"), concurrency=1, rate=0)))
        four_workers = rate_of(run(graph, create(SENDS // 2, "345"), concurrency=4, rate=0))
        for n in range(RUNS):
            times = run(graph, create(LIMITED_SENDS, f"35{n}"), concurrency=4, rate=80)
            sliding, calendar = max_in_window(times)
            limited.append((sliding, calendar, rate_of(times)))
        loads.append(load_average())
    finally:
        graph.close()
        app.control.purge()
    sent = OutboundMessage.objects.filter(state="sent").count()
    total = 1 + RUNS * SENDS + SENDS // 2 + RUNS * LIMITED_SENDS
    median_bare = statistics.median(bare)
    median_one = statistics.median(one_worker)
    report = f"""Outbox sending to the fake Graph API (threaded http.server on loopback, keep-alive)
machine: {os.cpu_count()} CPUs shared with other jobs; PostgreSQL + Redis broker; prefork workers
load average (1/5/15 min) at the start of each run and at the end: {" | ".join(loads)}
{RUNS} runs each, medians; the recipient pace on (6 s, one Redis call), every recipient new

bare loop of requests.Session posts (one thread)    : {median_bare:8.1f} posts/s   runs {_fmt(bare)}
{SENDS} sends, limiter off, 1 worker process (-c 1)    : {median_one:8.1f} messages/s   runs {_fmt(one_worker)}
{SENDS // 2} sends, limiter off, 4 pool processes (-c 4) : {four_workers:8.1f} messages/s   (one run)
per-send cost beyond the HTTP post (1 worker)       : {1000 / median_one - 1000 / median_bare:6.2f} ms
database statements per send (service, in process)  : {queries}
{chr(10).join("    " + q for q in statements)}

limiter at 80/s, {LIMITED_SENDS} sends, 4 pool processes, {RUNS} runs:
  most sends in any sliding one-second window : {[s for s, _, _ in limited]} (must not exceed 80)
  most sends in any calendar second           : {[c for _, c, _ in limited]}
  overall messages/s                          : {_fmt([r for _, _, r in limited])}
rows sent in the database: {sent} of {total}
"""
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(report)
    print(report)


def _fmt(values: list[float]) -> str:
    return ", ".join(f"{v:.1f}" for v in values)


if __name__ == "__main__":
    main()
