"""Inbox benchmark: the console's server time with 100,000 tickets and 1,000,000 messages.

Run on demand from the repository root (PostgreSQL only; the database is created if missing):
    python benchmarks/inbox.py [--database urp_console_bench] [--fresh] [--repeat 30] [--runs 3]
                               [--explain]

It fills the database with INSERT ... SELECT generate_series (a minute or two; the tickets' search
documents are written by the triggers that write them in production, tickets migration 0007), then
requests each page through Django's test client logged in as an operator and reports the server
time per page,
p50 and p95 over the repeats, the number of queries and the slowest query; with --runs N it measures
every page N times over and reports the median of the runs, with the machine's load average at
the start and the end of each run (a shared machine inflates the times). The goal is under
150 ms for each page. The report is printed and written to benchmarks/results/inbox.txt.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

# Run as a script (benchmarks/ on the path) or imported as benchmarks.inbox (many_comuni.py).
if __package__:
    from .inbox_data import LONG_CHAT, SHORT_CHAT, _fill
else:
    from inbox_data import LONG_CHAT, SHORT_CHAT, _fill

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(ROOT))
REPORT = ROOT / "benchmarks" / "results" / "inbox.txt"

GOAL_MS = 150.0


@dataclass
class Page:
    name: str
    url: str


@dataclass
class Measure:
    name: str
    p50: float
    p95: float
    queries: int
    db_p50: float
    slowest_ms: float
    slowest_sql: str


def _setup_django(database: str) -> None:
    os.environ["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{database}"
    # The test settings (plain static storage, fast hashing) with DEBUG off, as in production:
    # DEBUG on would keep every query in memory and slow the pages it measures.
    os.environ["DJANGO_SETTINGS_MODULE"] = "urp_portal.settings.test"
    os.environ["DEBUG"] = "false"
    for name, value in {
        "SECRET_KEY": "benchmark-only-secret-key",
        "URP_PSEUDONYM_KEY": "benchmark-only-pseudonym-key",
        "SECURE_SSL_REDIRECT": "false",
        "ALLOWED_HOSTS": "testserver",
        # Required with DEBUG off; the test settings send mail to memory whatever it names.
        "EMAIL_URL": "smtp://localhost:25",
    }.items():
        os.environ.setdefault(name, value)
    import django

    django.setup()


def _create_database(database: str, fresh: bool) -> None:
    import psycopg

    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as c:
        exists = c.execute("SELECT 1 FROM pg_database WHERE datname = %s", [database]).fetchone()
        if exists and fresh:
            c.execute(f'DROP DATABASE "{database}" WITH (FORCE)')
            exists = None
        if not exists:
            c.execute(f'CREATE DATABASE "{database}"')


@contextmanager
def _timed_queries(found: list[tuple[float, str]]):
    from django.db import connection

    def wrapper(execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            found.append(((time.perf_counter() - started) * 1000, sql))

    with connection.execute_wrapper(wrapper):
        yield


def _measure(client, page: Page, repeat: int) -> Measure:
    client.get(page.url)  # warm: templates, the session, the plans
    timings: list[float] = []
    db_times: list[float] = []
    queries: list[tuple[float, str]] = []
    for n in range(repeat):
        found: list[tuple[float, str]] = []
        with _timed_queries(found):
            started = time.perf_counter()
            response = client.get(page.url)
            timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (page.url, response.status_code)
        db_times.append(sum(ms for ms, _sql in found))
        if n == 0:
            queries = found
    timings.sort()
    slowest = max(queries)
    return Measure(
        name=page.name,
        p50=statistics.median(timings),
        p95=timings[max(0, round(0.95 * len(timings)) - 1)],
        queries=len(queries),
        db_p50=statistics.median(db_times),
        slowest_ms=slowest[0],
        slowest_sql=" ".join(slowest[1].split())[:160],
    )


def _median_of_runs(measures: list[Measure]) -> Measure:
    slowest = sorted(measures, key=lambda m: m.slowest_ms)[len(measures) // 2]
    return Measure(
        name=measures[0].name,
        p50=statistics.median(m.p50 for m in measures),
        p95=statistics.median(m.p95 for m in measures),
        queries=max(m.queries for m in measures),
        db_p50=statistics.median(m.db_p50 for m in measures),
        slowest_ms=slowest.slowest_ms,
        slowest_sql=slowest.slowest_sql,
    )


def _explain(client, page: Page) -> str:
    """EXPLAIN ANALYZE of the page's slowest query, to see why a page misses the goal."""
    from django.db import connection

    found: list[tuple[float, str]] = []
    captured: list[tuple[str, object]] = []

    def wrapper(execute, sql, params, many, context):
        captured.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper), _timed_queries(found):
        client.get(page.url)
    index = max(range(len(found)), key=lambda i: found[i][0])
    sql, params = captured[index]
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database", default="urp_console_bench")
    parser.add_argument("--fresh", action="store_true", help="drop and fill the database again")
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--runs", type=int, default=1, help="measure every page this many times")
    parser.add_argument("--explain", action="store_true", help="EXPLAIN ANALYZE each slowest query")
    parser.add_argument("--only", default="", help="measure only the pages whose name has this")
    args = parser.parse_args()

    _create_database(args.database, args.fresh)
    _setup_django(args.database)
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from tickets.models import Message, Ticket
    from tickets.tests.factories import operator

    call_command("migrate", verbosity=0)
    # No setup_test_environment(): it instruments every template render for the test client's
    # `context` (a copy of the context per template), which production does not pay.
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.filter(username="bench-operator").first()
    if user is None:
        user = operator(username="bench-operator", first_name="Giulia", last_name="Serra")
    chats = _fill(user)
    client = Client()
    client.force_login(user)

    pages = [
        Page("inbox, default view", "/admin/tickets/ticket/"),
        Page("inbox, filter state=open", "/admin/tickets/ticket/?state__exact=open"),
        Page("inbox, filter late", "/admin/tickets/ticket/?scadenza=late"),
        Page("inbox, page 200", "/admin/tickets/ticket/?p=200"),
        Page("inbox, search by number", f"/admin/tickets/ticket/?q=%23{chats['long'] + 5000}"),
        Page("inbox, search a name", "/admin/tickets/ticket/?q=Deiana"),
        Page("inbox, search rare text", "/admin/tickets/ticket/?q=carrabile"),
        Page("inbox, search common text", "/admin/tickets/ticket/?q=buca"),
        Page("inbox, search a word's beginning", "/admin/tickets/ticket/?q=carrab*"),
        Page(
            f"conversation, {SHORT_CHAT} messages",
            f"/admin/tickets/ticket/{chats['short']}/conversation/",
        ),
        Page(
            f"conversation, {LONG_CHAT} messages",
            f"/admin/tickets/ticket/{chats['long']}/conversation/",
        ),
    ]
    pages = [page for page in pages if args.only in page.name]
    loads: list[tuple[float, float]] = []
    runs: list[list[Measure]] = []
    for _run in range(args.runs):
        started_load = os.getloadavg()[0]
        runs.append([_measure(client, page, args.repeat) for page in pages])
        loads.append((started_load, os.getloadavg()[0]))
    measures = [_median_of_runs([run[n] for run in runs]) for n in range(len(pages))]

    server = connection.cursor().connection.info.server_version
    load_text = ", ".join(f"{start:.1f} → {end:.1f}" for start, end in loads)
    lines = [
        "Inbox benchmark (benchmarks/inbox.py): server time through Django's test client, "
        "logged in as an operator",
        f"PostgreSQL {server // 10000}.{server % 10000}, {Ticket.objects.count():,} tickets, "
        f"{Message.objects.count():,} messages, {args.repeat} requests per page, "
        f"goal {GOAL_MS:.0f} ms",
        f"{args.runs} run(s), figures are the median of the runs; machine: {os.cpu_count()} CPUs, "
        f"load average at the start → end of each run: {load_text}",
        "(other work on the machine inflates the times)",
        "",
        f"{'page':<32} {'p50 ms':>8} {'p95 ms':>8} {'queries':>8} {'db p50 ms':>10}"
        f"  {'slowest query':>13}  ok",
    ]
    for m in measures:
        ok = "yes" if m.p95 < GOAL_MS else "NO"
        lines.append(
            f"{m.name:<32} {m.p50:>8.1f} {m.p95:>8.1f} {m.queries:>8} {m.db_p50:>10.1f}"
            f"  {m.slowest_ms:>10.1f} ms"
            f"  {ok}"
        )
    if args.runs > 1:
        lines.append("")
        lines.append("p50 ms of each run:")
        for n, page in enumerate(pages):
            each = "  ".join(f"{run[n].p50:>7.1f}" for run in runs)
            lines.append(f"  {page.name:<32} {each}")
    lines.append("")
    lines.append("slowest query of each page:")
    lines.extend(f"  {m.name}: {m.slowest_sql}" for m in measures)
    report = "\n".join(lines) + "\n"
    print(report)
    if args.explain:
        for page in pages:
            print(f"\n== {page.name}\n{_explain(client, page)}")
    elif not args.only:
        REPORT.parent.mkdir(parents=True, exist_ok=True)
        REPORT.write_text(report, encoding="utf-8")


if __name__ == "__main__":
    main()
