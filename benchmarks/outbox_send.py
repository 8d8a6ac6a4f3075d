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
LIMITED_SENDS = 800
os.environ.update(
    DJANGO_SETTINGS_MODULE="urp_portal.settings",
    DATABASE_URL=DATABASE_URL,
    REDIS_URL=REDIS_URL,
    DEBUG="true",
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


def main() -> None:
    call_command("migrate", verbosity=0)
    app.control.purge()
    ratelimit.reset_redis()
    graph = FakeGraph()
    try:
        bare = bare_loop(graph, 2000)
        times = run(graph, create(SENDS, "340"), concurrency=1, rate=0)
        one_worker = (len(times) - 1) / (max(times) - min(times))
        times4 = run(graph, create(SENDS // 2, "341"), concurrency=4, rate=0)
        four_workers = (len(times4) - 1) / (max(times4) - min(times4))
        limited = run(graph, create(LIMITED_SENDS, "342"), concurrency=4, rate=80)
        sliding, calendar = max_in_window(limited)
        limited_rate = (len(limited) - 1) / (max(limited) - min(limited))
    finally:
        graph.close()
        app.control.purge()
    sent = OutboundMessage.objects.filter(state="sent").count()
    report = f"""Outbox sending to the fake Graph API (threaded http.server on loopback, keep-alive)
machine: {os.cpu_count()} CPUs; PostgreSQL + Redis broker; prefork workers

bare loop of requests.Session posts (one thread)    : {bare:8.1f} posts/s
{SENDS} sends, limiter off, 1 worker process (-c 1)   : {one_worker:8.1f} messages/s
{SENDS // 2} sends, limiter off, 4 pool processes (-c 4) : {four_workers:8.1f} messages/s
per-send cost beyond the HTTP post (1 worker)       : {1000 / one_worker - 1000 / bare:6.2f} ms

limiter at 80/s, {LIMITED_SENDS} sends, 4 pool processes:
  overall {limited_rate:.1f} messages/s
  most sends in any sliding one-second window : {sliding} (must not exceed 80)
  most sends in any calendar second           : {calendar}
rows sent in the database: {sent} of {SENDS + SENDS // 2 + LIMITED_SENDS}
"""
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(report)
    print(report)


if __name__ == "__main__":
    main()
