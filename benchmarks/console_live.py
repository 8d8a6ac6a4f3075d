"""50 operators' consoles kept live against one web server while citizens write 5 messages/s.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/urp_h20_bench \
    REDIS_URL=redis://127.0.0.1:6379/4 .venv/bin/python benchmarks/console_live.py

(BENCH_PORT names gunicorn's port; BENCH_CONSOLES, BENCH_RATE, BENCH_SECONDS the load.)

The real processes: gunicorn urp_portal.wsgi (gunicorn.conf.py's shape), one Celery worker, a
fake Graph API on loopback for the automatic replies, PostgreSQL and Redis. Citizens' messages go
in as signed Meta webhooks at a fixed rate; each console is a thread doing what tickets/live.js
does (live_console_client.py): a GET of the live view every 2 s with its cursors and its stamp;
an inbox patches the rows the answer carries (a change is on screen when the poll answers), a
conversation whose ticket changed fetches its live parts (?live=1).

Measured (issue 20, point 6):
- delay from the webhook's POST to the change on screen, i.e. the end of the poll that carries
  its row (an inbox) or of the page fetch that shows it (a conversation), for every (console,
  message) pair where the console shows that message: the inbox consoles every message, a
  conversation console its ticket's (p50, p95, max; goal p95 <= 3 s);
- the web server's CPU spent on keeping consoles live: gunicorn's CPU per second with the
  consoles and the citizens, less its CPU per second with the citizens alone (goal <= 25% of one
  CPU). The consoles' own client threads run on this machine too; their CPU is not counted.

Two mixes: every console on a conversation (the operator at work), and half of them on the
inbox (the heavier case: every message changes the inbox). Writes
benchmarks/results/console_live.txt.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "benchmarks" / "results" / "console_live.txt"
DATABASE_URL = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/urp_h20_bench")
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/4")
CONSOLES = int(os.environ.get("BENCH_CONSOLES", "50"))
SECONDS = int(os.environ.get("BENCH_SECONDS", "60"))
BASELINE_SECONDS = int(os.environ.get("BENCH_BASELINE_SECONDS", "30"))
os.environ["DATABASE_URL"] = DATABASE_URL
os.environ["REDIS_URL"] = REDIS_URL
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "urp_portal.settings")
os.environ.setdefault("SECRET_KEY", "bench-secret-key-not-for-production-0123456789")
os.environ.setdefault("URP_PSEUDONYM_KEY", "bench-pseudonym-key-not-for-production-0123456789")
os.environ.setdefault("LOG_LEVEL", "ERROR")
# A real backend's URL, as DEBUG off requires; the benchmark sends no email.
os.environ.setdefault("EMAIL_URL", "smtp://127.0.0.1:25")
# gunicorn serves the admin's pages with the manifest of collected static files, as production.
os.environ.setdefault("STATIC_ROOT", str(ROOT / "var" / "bench-static"))


def recreate_database() -> None:
    name = DATABASE_URL.rsplit("/", 1)[1]
    for sql in (f"DROP DATABASE IF EXISTS {name}", f"CREATE DATABASE {name}"):
        subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc", sql], check=True)


recreate_database()

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402

from tests.fixtures.fake_graph import ACCESS_TOKEN, PHONE_NUMBER_ID, FakeGraph  # noqa: E402
from tickets.models import Message, Ticket  # noqa: E402

sys.path.insert(0, str(ROOT / "benchmarks"))
from console_live_clients import (  # noqa: E402
    PASSWORD,
    POLL_SECONDS,
    RATE,
    SECRET,
    Citizens,
    Console,
)

from urp_portal.accounts.roles import Role  # noqa: E402
from urp_portal.accounts.tests.factories import UserFactory  # noqa: E402
from urp_portal.municipality.services import municipality_load_preset  # noqa: E402


def environment(graph: FakeGraph) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": f"{ROOT / 'benchmarks'}:{ROOT}",
        "DJANGO_SETTINGS_MODULE": "console_site",
        "DEBUG": "false",
        # A real backend's URL, as DEBUG off requires; the benchmark sends no email.
        "EMAIL_URL": "smtp://127.0.0.1:25",
        "SECURE_SSL_REDIRECT": "false",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "WHATSAPP_GATEWAY": "meta",
        "WHATSAPP_APP_SECRET": SECRET,
        "WHATSAPP_GRAPH_URL": graph.url,
        "WHATSAPP_PHONE_NUMBER_ID": PHONE_NUMBER_ID,
        "WHATSAPP_ACCESS_TOKEN": ACCESS_TOKEN,
        "LOG_LEVEL": "ERROR",
    }


def cpu_seconds(session_leader: int) -> float:
    """CPU seconds (user + system) used so far by the processes of a session."""
    tick = os.sysconf("SC_CLK_TCK")
    used = 0.0
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        if int(fields[3]) == session_leader:
            used += (int(fields[11]) + int(fields[12])) / tick
    return used


def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(int(len(ordered) * share), len(ordered) - 1)]


def start_gunicorn(port: int, env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(
        [str(Path(sys.executable).with_name("gunicorn")), "urp_portal.wsgi",
         "-b", f"127.0.0.1:{port}", "--log-level", "warning"],
        cwd=ROOT, env=env, start_new_session=True,
    )  # fmt: skip


def start_worker(env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(
        [str(Path(sys.executable).with_name("celery")), "-A", "urp_portal", "worker",
         "--concurrency", "2", "--loglevel", "WARNING",
         "--without-gossip", "--without-mingle", "--without-heartbeat"],
        cwd=ROOT, env=env, start_new_session=True,
    )  # fmt: skip


def wait_for(base: str) -> None:
    deadline = time.time() + 120
    while time.time() < deadline:
        try:
            if requests.get(f"{base}/healthz", timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.5)
    sys.exit("gunicorn did not come up")


def arrange() -> list[str]:
    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    municipality_load_preset(slug="cagliari")
    users = []
    for i in range(CONSOLES):
        UserFactory(
            username=f"operatore{i:02d}", is_staff=True, roles=[Role.OPERATOR], password=PASSWORD
        )
        users.append(f"operatore{i:02d}")
    return users


def run_mix(base: str, gunicorn: subprocess.Popen, users: list[str], inbox_share: float) -> dict:
    tickets = list(
        Ticket.objects.exclude(state__in=("resolved", "closed"))
        .select_related("subscriber")
        .order_by("pk")[:CONSOLES]
    )
    stop = threading.Event()
    consoles = []
    for i, username in enumerate(users):
        on_inbox = i < int(CONSOLES * inbox_share)
        ticket = None if on_inbox else tickets[i % len(tickets)].pk
        consoles.append(Console(base, username, ticket=ticket, stop=stop))
    for console in consoles:
        console.login()
    open_numbers = sorted({t.subscriber.number.lstrip("+") for t in tickets if t.subscriber.number})
    for console in consoles:
        console.start()
    time.sleep(POLL_SECONDS * 2)
    citizens = Citizens(base, open_numbers, SECONDS)
    cpu_before, started = cpu_seconds(gunicorn.pid), time.monotonic()
    citizens.start()
    citizens.join()
    cpu_used, elapsed = cpu_seconds(gunicorn.pid) - cpu_before, time.monotonic() - started
    time.sleep(POLL_SECONDS * 3)  # the last messages reach the screens
    stop.set()
    for console in consoles:
        console.join(timeout=30)
    # Which message is which webhook: its inbound row's provider id.
    provider, stored = {}, {}
    for pk, wamid, received in Message.objects.filter(inbound__isnull=False).values_list(
        "pk", "inbound__provider_id", "inbound__received_at"
    ):
        provider[pk] = wamid
        stored[pk] = received.timestamp()
    # The worker's part of the delay: from the webhook's POST to the message stored by the
    # pipeline (the inbound row is written by the worker that processes the event).
    worker_lag = {
        pk: stored[pk] - citizens.sent_wall[wamid]
        for pk, wamid in provider.items()
        if wamid in citizens.sent_wall
    }
    ticket_of = dict(Message.objects.values_list("pk", "ticket_id"))
    delays, console_parts, missed = [], [], 0
    for console in consoles:
        shown = {message: at for message, at in console.shown}
        for message, wamid in provider.items():
            sent = citizens.sent.get(wamid)
            if sent is None:
                continue
            if console.ticket and ticket_of.get(message) != console.ticket:
                continue
            if message in shown:
                delays.append(shown[message] - sent)
                console_parts.append(shown[message] - sent - worker_lag.get(message, 0))
            else:
                missed += 1
    polls = [ms for c in consoles for ms in c.poll_ms]
    pages = [ms for c in consoles for ms in c.page_ms]
    return {
        "inbox_consoles": int(CONSOLES * inbox_share),
        "webhooks": len(citizens.sent),
        "webhook_failures": citizens.failures,
        "pairs": len(delays),
        "missed": missed,
        "p50": percentile(delays, 0.5),
        "p95": percentile(delays, 0.95),
        "max": max(delays) if delays else float("nan"),
        "web_cpu_per_s": cpu_used / elapsed,
        "worker_p50": percentile(list(worker_lag.values()), 0.5),
        "worker_p95": percentile(list(worker_lag.values()), 0.95),
        "console_p50": percentile(console_parts, 0.5),
        "console_p95": percentile(console_parts, 0.95),
        "requests_per_s": (len(polls) + len(pages)) / elapsed,
        "polls": len(polls),
        "poll_p50": percentile(polls, 0.5),
        "poll_p95": percentile(polls, 0.95),
        "pages": len(pages),
        "page_p50": percentile(pages, 0.5),
        "page_p95": percentile(pages, 0.95),
        "errors": sum(c.errors for c in consoles),
    }


def baseline(base: str, gunicorn: subprocess.Popen) -> float:
    citizens = Citizens(base, [], BASELINE_SECONDS)
    before, started = cpu_seconds(gunicorn.pid), time.monotonic()
    citizens.start()
    citizens.join()
    return (cpu_seconds(gunicorn.pid) - before) / (time.monotonic() - started)


def main() -> None:
    load_before = os.getloadavg()
    users = arrange()
    graph = FakeGraph()
    env = environment(graph)
    port = int(os.environ.get("BENCH_PORT", 18000 + os.getpid() % 1000))
    base = f"http://127.0.0.1:{port}"
    gunicorn = start_gunicorn(port, env)
    worker = start_worker(env)
    try:
        wait_for(base)
        # Citizens alone first: it also opens the tickets the consoles will have open.
        alone = baseline(base, gunicorn)
        conversations = run_mix(base, gunicorn, users, inbox_share=0.0)
        half_inbox = run_mix(base, gunicorn, users, inbox_share=0.5)
    finally:
        for process in (gunicorn, worker):
            os.killpg(process.pid, signal.SIGTERM)
        for process in (gunicorn, worker):
            process.wait(timeout=60)
        graph.close()
    load_after = os.getloadavg()

    def block(title: str, r: dict) -> str:
        live_cpu = r["web_cpu_per_s"] - alone
        return f"""{title}
  webhooks posted: {r["webhooks"]} ({r["webhook_failures"]} failed); (console, message) pairs shown: {r["pairs"]}, not shown by the end: {r["missed"]}
  delay webhook -> on screen: p50 {r["p50"]:.2f} s, p95 {r["p95"]:.2f} s, max {r["max"]:.2f} s   goal p95 <= 3 s: {"met" if r["p95"] <= 3 else "NOT met"}
    of which the worker (webhook -> message stored): p50 {r["worker_p50"]:.2f} s, p95 {r["worker_p95"]:.2f} s; the consoles (stored -> on screen): p50 {r["console_p50"]:.2f} s, p95 {r["console_p95"]:.2f} s
  web CPU: {r["web_cpu_per_s"]:.1%} of one CPU with consoles and citizens; keeping consoles live: {live_cpu:.1%}   goal <= 25%: {"met" if live_cpu <= 0.25 else "NOT met"}
    {r["requests_per_s"]:.1f} console requests/s: {live_cpu / max(r["requests_per_s"], 0.001) * 1000:.1f} ms of web CPU each (benchmarks/console_poll_cpu.py measures them one by one)
  live polls: {r["polls"]}, p50 {r["poll_p50"]:.1f} ms, p95 {r["poll_p95"]:.1f} ms; page refreshes: {r["pages"]}, p50 {r["page_p50"]:.1f} ms, p95 {r["page_p95"]:.1f} ms; client errors: {r["errors"]}
"""  # noqa: E501

    report = f"""Live console: {CONSOLES} consoles against one web server, citizens at {RATE:g} messages/s ({time.strftime("%Y-%m-%d %H:%M", time.gmtime())} UTC)
machine: {os.cpu_count()} CPUs, with the load average below (BENCH_MACHINE_NOTE: {os.environ.get("BENCH_MACHINE_NOTE", "none")});
PostgreSQL + Redis on the same machine; gunicorn urp_portal.wsgi as gunicorn.conf.py says; one Celery worker (-c 2); the console
clients are threads of this script on the same CPUs. Consoles poll every {POLL_SECONDS:g} s (tickets/live.js); an inbox patches the rows its poll carries.
load average before: {" ".join(f"{x:.2f}" for x in load_before)}; after: {" ".join(f"{x:.2f}" for x in load_after)}

citizens alone ({BASELINE_SECONDS} s, no console): web CPU {alone:.1%} of one CPU

{block(f"{CONSOLES} consoles, each on a conversation ({SECONDS} s):", conversations)}
{block(f"{CONSOLES} consoles, {half_inbox['inbox_consoles']} on the inbox and the others on a conversation ({SECONDS} s):", half_inbox)}"""  # noqa: E501
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(report)
    print(report)


if __name__ == "__main__":
    main()
