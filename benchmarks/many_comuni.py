"""Many comuni on one deployment: 100 comuni, 1,000,000 tickets, measured in one comune's scope.

Run on demand from the repository root (PostgreSQL only; the database is created if missing,
filled once, migrated on every run; PostgreSQL at postgres@127.0.0.1:5432, REDIS_URL as the
deployment's or none):
    python benchmarks/many_comuni.py [--database urp_many_comuni] [--fresh] [--repeat 20]
                                     [--label before|after] [--skip-campaign] [--skip-pages]

The fill (many_comuni_fill.py: INSERT ... SELECT generate_series, a few minutes) gives 100
comuni bound to their numbers a realistic spread: one big comune (a capoluogo: 20% of the
tickets, 200,000) and 99 small ones sharing the rest by Zipf's law (from ~40,000 down to ~1,000
each); one subscriber per ticket (half of the big comune's on the broadcast list: 100,000), one
citizen's message per ticket (the tickets' search documents written by the production triggers,
tickets migration 0007). Then, in the scope of the big comune and of a small one:

- the console's inbox through Django's test client, logged in as an operator (the real page:
  the admin's changelist over `ticket_list_for`), default view, filters and searches (`q=`):
  p50/p95 of the server time (ORM and database included) over --repeat requests, the queries,
  and the CPU of this process and of the PostgreSQL backend serving it (from /proc) per request;
- planning a campaign to the big comune's 100,000 subscribers (`campaign_start`, as
  benchmarks/campaign_plan.py, now among 1,000,000 subscribers of 100 comuni);
- the webhook's routing is benchmarks/tenancy_routing.py's (100 comuni): its figure is quoted.

Until the tickets' default manager is the comune-scoped one (the staff's scoping), this script
applies the same filter to it (`owned_by_current()`, what ComuneScopedManager adds), so the
figures are those of the scoped console either way. The report is appended to
benchmarks/results/many_comuni.txt under --label (run before and after an index migration),
with the share of the CPUs that OTHER processes used meanwhile (machine_load.py): on a busy
machine the wall-clock columns are inflated and the CPU columns are the figures to read.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.inbox import _create_database, _setup_django  # noqa: E402
from benchmarks.machine_load import OthersLoadMeter, process_cpu_seconds  # noqa: E402
from benchmarks.many_comuni_fill import fill  # noqa: E402

REPORT = ROOT / "benchmarks" / "results" / "many_comuni.txt"
GOAL_MS = 150.0
GOAL_PLAN_S = 5.0


def _scope_tickets_like_the_scoped_manager() -> None:
    """Until Ticket's default manager is ComuneScopedManager, give it the same filter."""
    from tickets.models import Ticket
    from urp_portal.municipality.scope import ComuneScopedManager, owned_by_current

    manager = Ticket._meta.default_manager
    if isinstance(manager, ComuneScopedManager):
        return
    unscoped = manager.get_queryset
    manager.get_queryset = lambda: unscoped().filter(owned_by_current())  # type: ignore[method-assign]


def _backend_pid() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def _backend_cpu_ms() -> float:
    """CPU (user + system) spent so far by the PostgreSQL backend of our connection."""
    return process_cpu_seconds(_backend_pid()) * 1000


@dataclass
class Measure:
    name: str
    p50: float
    p95: float
    queries: int
    cpu_ms: float
    db_cpu_ms: float


def _measure(client, name: str, url: str, repeat: int) -> Measure:
    from django.db import connection

    client.get(url)
    timings: list[float] = []
    count: list[int] = []

    def counter(execute, sql, params, many, context):
        count.append(1)
        return execute(sql, params, many, context)

    cpu0, db0 = time.process_time(), _backend_cpu_ms()
    for _ in range(repeat):
        count.clear()
        with connection.execute_wrapper(counter):
            started = time.perf_counter()
            response = client.get(url)
            timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    cpu = (time.process_time() - cpu0) * 1000 / repeat
    db_cpu = (_backend_cpu_ms() - db0) / repeat
    timings.sort()
    return Measure(
        name,
        statistics.median(timings),
        timings[max(0, round(0.95 * len(timings)) - 1)],
        len(count),
        cpu,
        db_cpu,
    )


def _plan_campaign(comune, runs: int) -> tuple[list[float], list[float]]:
    """Wall seconds of each plan, and CPU seconds (this process's plus its PostgreSQL
    backend's: what a busy machine does not inflate)."""
    from django.db import connection

    from broadcasts import services
    from broadcasts.models import Campaign, Delivery, MessageTemplate
    from broadcasts.services import fanout
    from broadcasts.states import CampaignState
    from urp_portal.gateway.models import OutboundMessage
    from urp_portal.municipality.scope import comune_scope

    fanout.enqueue_send_batch = lambda *a, **k: None  # type: ignore[assignment]
    comune.quiet_hours_start = comune.quiet_hours_end
    comune.save()
    times, cpu = [], []
    with comune_scope(comune):
        template, _ = MessageTemplate.objects.get_or_create(
            name="notizie",
            defaults={"body": "Notizie dal Comune: {{1}}", "approval_status": "approved"},
        )
        for _ in range(runs):
            with connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE")
            campaign = Campaign.objects.create(
                title="Benchmark",
                template=template,
                parameters=["mercato spostato"],
                state=CampaignState.APPROVED,
            )
            started, cpu0, db0 = time.perf_counter(), time.process_time(), _backend_cpu_ms()
            services.campaign_start(campaign_id=campaign.pk)
            times.append(time.perf_counter() - started)
            cpu.append(time.process_time() - cpu0 + (_backend_cpu_ms() - db0) / 1000)
            planned = Delivery.objects.filter(campaign=campaign).count()
            assert planned == 100_000, planned
            Delivery._base_manager.all().delete()
            OutboundMessage._base_manager.all().delete()
    return times, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database", default="urp_many_comuni")
    parser.add_argument("--fresh", action="store_true")
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--runs", type=int, default=3, help="campaign plans")
    parser.add_argument("--label", default="")
    parser.add_argument("--skip-campaign", action="store_true")
    parser.add_argument("--skip-pages", action="store_true")
    args = parser.parse_args()

    _create_database(args.database, args.fresh)
    _setup_django(args.database)
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from tickets.tests.factories import operator
    from urp_portal.accounts.models import StaffMembership
    from urp_portal.municipality.models import Municipality
    from urp_portal.municipality.scope import comune_scope

    call_command("migrate", verbosity=0)
    fill()
    _scope_tickets_like_the_scoped_manager()
    user = get_user_model().objects.filter(username="bench-operator").first()
    if user is None:
        user = operator(username="bench-operator", first_name="Giulia", last_name="Serra")
    big = Municipality.objects.get(slug="comune-000")
    small = Municipality.objects.get(slug="comune-050")
    pages = [
        ("inbox, default view", "/admin/tickets/ticket/"),
        ("inbox, filter state=open", "/admin/tickets/ticket/?state__exact=open"),
        ("inbox, filter late", "/admin/tickets/ticket/?scadenza=late"),
        ("inbox, page 50", "/admin/tickets/ticket/?p=50"),
        ("search a name", "/admin/tickets/ticket/?q=Deiana"),
        ("search rare text", "/admin/tickets/ticket/?q=carrabile"),
        ("search common text", "/admin/tickets/ticket/?q=buca"),
        ("search a word's beginning", "/admin/tickets/ticket/?q=carrab*"),
    ]
    # The others' share of the CPUs while the pages, then the plans, were measured: whether the
    # wall-clock columns can be read at all (machine_load.py).
    meter = OthersLoadMeter()
    meter.watch_backend(_backend_pid())
    results: list[tuple[str, Measure]] = []
    for comune in () if args.skip_pages else (big, small):
        # The operator is a member of the measured comune only: the request's scope middleware
        # (or, before it, the comune_scope around the test client) puts the page in its scope.
        StaffMembership.objects.filter(user=user).delete()
        StaffMembership.objects.create(user=user, comune=comune)
        client = Client()
        client.force_login(user)
        with comune_scope(comune):
            for name, url in pages:
                results.append((comune.slug, _measure(client, name, url, args.repeat)))
    pages_load = meter.stop()
    meter = OthersLoadMeter()
    meter.watch_backend(_backend_pid())
    plans, plan_cpu = ([], []) if args.skip_campaign else _plan_campaign(big, args.runs)
    plans_load = meter.stop()

    from subscribers.models import Subscriber
    from tickets.models import Ticket

    counts = {
        slug: Ticket._base_manager.filter(comune__slug=slug).count()
        for slug in ("comune-000", "comune-050")
    }
    server = connection.cursor().connection.info.server_version
    lines = [
        f"== {args.label or 'run'} ({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}), "
        f"PostgreSQL {server // 10000}.{server % 10000}, {os.cpu_count()} CPUs (shared)",
        f"{Municipality.objects.count() - 1} comuni bound to numbers, "
        f"{Ticket._base_manager.count():,} tickets, "
        f"{Subscriber._base_manager.count():,} subscribers; comune-000 (big) has "
        f"{counts['comune-000']:,} tickets, comune-050 (small) {counts['comune-050']:,}",
        f"while the pages: {pages_load.describe()}",
        f"while the plans: {plans_load.describe()}",
        f"inbox: {args.repeat} requests per page through the test client as an operator, in "
        f"the comune's scope; goal p95 < {GOAL_MS:.0f} ms; cpu = this process's CPU per request "
        "(Django, ORM, templates), db cpu = the PostgreSQL backend's",
        "",
        f"{'comune':<11} {'page':<27} {'p50 ms':>7} {'p95 ms':>7} {'queries':>7} "
        f"{'cpu ms':>7} {'db cpu ms':>9}  ok",
    ]
    for slug, m in results:
        lines.append(
            f"{slug:<11} {m.name:<27} {m.p50:>7.1f} {m.p95:>7.1f} {m.queries:>7} "
            f"{m.cpu_ms:>7.1f} {m.db_cpu_ms:>9.1f}  {'yes' if m.p95 < GOAL_MS else 'NO'}"
        )
    if plans:
        met = "met" if statistics.median(plans) < GOAL_PLAN_S else "NOT met"
        lines += [
            "",
            f"campaign_start to comune-000's 100,000 subscribers (among "
            f"{Subscriber._base_manager.count():,}): median {statistics.median(plans):.2f} s, "
            f"min {min(plans):.2f} s, max {max(plans):.2f} s over {len(plans)} runs; goal "
            f"< {GOAL_PLAN_S:.0f} s: {met}",
            f"  CPU (Django + its PostgreSQL backend) per plan: median "
            f"{statistics.median(plan_cpu):.2f} s, min {min(plan_cpu):.2f} s",
        ]
    routing = ROOT / "benchmarks" / "results" / "tenancy_routing.txt"
    if routing.exists():
        lines += ["", "webhook routing (benchmarks/tenancy_routing.py, 100 comuni), quoted:"]
        lines += ["  " + line for line in routing.read_text().splitlines()]
    report = "\n".join(lines) + "\n\n"
    print(report)
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    with REPORT.open("a", encoding="utf-8") as out:
        out.write(report)


if __name__ == "__main__":
    main()
