"""Time to plan a campaign (write its deliveries and outbox messages) for 100,000 subscribers.

Goal: under 5 s on PostgreSQL. Runs on a throw-away test database of the DATABASE_URL server:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/urp DEBUG=true \\
        .venv/bin/python benchmarks/campaign_plan.py [--subscribers 100000]

Writes benchmarks/results/campaign_plan.txt. Measures `campaign_start` as the product runs it
(the state change and the plan in one transaction) and, for comparison, the portable
bulk_create path on the same data.
"""

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "urp_portal.settings")
os.environ.setdefault("DEBUG", "true")
os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "false")

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402
from django.utils import timezone  # noqa: E402


class _Rollback(Exception):
    pass


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--subscribers", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    setup_test_environment()
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        lines = run(args.subscribers, args.runs)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
    out = ROOT / "benchmarks" / "results" / "campaign_plan.txt"
    out.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


def run(n: int, runs: int) -> list[str]:
    from broadcasts import services
    from broadcasts.models import Campaign, Delivery, MessageTemplate
    from broadcasts.services import fanout
    from broadcasts.states import CampaignState
    from subscribers.models import Subscriber
    from subscribers.states import SubscriberStatus
    from urp_portal.gateway.models import OutboundMessage
    from urp_portal.municipality.services import municipality_load_preset

    # The benchmark measures the plan, not the workers: the chain of batches is not started.
    fanout.enqueue_send_batch = lambda *a, **k: None  # type: ignore[assignment]
    municipality = municipality_load_preset(slug="san_giuliano")
    # Plan at any hour: quiet hours would hold the campaign instead of planning it.
    municipality.quiet_hours_start = municipality.quiet_hours_end
    municipality.save()
    now = timezone.now()
    Subscriber.objects.bulk_create(
        [
            Subscriber(
                number=f"+39320{i:07d}", status=SubscriberStatus.SUBSCRIBED, subscribed_at=now
            )
            for i in range(n)
        ],
        batch_size=10_000,
    )
    # A few who must not receive it.
    Subscriber.objects.bulk_create(
        [Subscriber(number=f"+39321{i:07d}", status=SubscriberStatus.CONTACT) for i in range(1000)]
    )
    template = MessageTemplate.objects.create(
        name="notizie", body="Notizie dal Comune: {{1}}", approval_status="approved"
    )
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ANALYZE")

    def new_campaign() -> Campaign:
        return Campaign.objects.create(
            title="Benchmark",
            template=template,
            parameters=["mercato spostato"],
            state=CampaignState.APPROVED,
        )

    def vacuum() -> None:
        # The previous run's rows were deleted (and the bulk path rolled back): without a vacuum
        # the next run would insert into tables and indexes full of dead rows, which autovacuum
        # would have cleared in production long before the next broadcast.
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE")

    start_times, bulk_times = [], []
    for _ in range(runs):
        vacuum()
        campaign = new_campaign()
        t0 = time.perf_counter()
        services.campaign_start(campaign_id=campaign.pk)
        start_times.append(time.perf_counter() - t0)
        assert Delivery.objects.filter(campaign=campaign).count() == n
        assert OutboundMessage.objects.filter(delivery__campaign=campaign).count() == n
        Delivery.objects.all().delete()
        OutboundMessage.objects.all().delete()

        vacuum()
        campaign = new_campaign()
        t0 = time.perf_counter()
        try:
            with transaction.atomic():
                planned = fanout._plan_with_bulk_create(
                    campaign, fanout._outbound_prototype(campaign)
                )
                bulk_times.append(time.perf_counter() - t0)
                assert planned == n
                raise _Rollback
        except _Rollback:
            pass

    version = ""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SHOW server_version")
            version = "PostgreSQL " + cursor.fetchone()[0]
        else:
            version = "SQLite"
    path = (
        "INSERT ... SELECT (one statement)" if connection.vendor == "postgresql" else "bulk_create"
    )
    return [
        f"Campaign plan benchmark ({time.strftime('%Y-%m-%d %H:%M')}), {version}, "
        f"Python {platform.python_version()}, {os.cpu_count()} CPUs",
        f"subscribers: {n:,} subscribed (+1,000 not subscribed), runs: {runs}",
        f"campaign_start (state change + plan, {path}): "
        f"median {statistics.median(start_times):.2f} s, min {min(start_times):.2f} s, "
        f"max {max(start_times):.2f} s   goal < 5 s: "
        f"{'met' if statistics.median(start_times) < 5 else 'NOT met'}",
        f"portable bulk_create path (batches of 5,000), for comparison: "
        f"median {statistics.median(bulk_times):.2f} s, min {min(bulk_times):.2f} s, "
        f"max {max(bulk_times):.2f} s",
    ]


if __name__ == "__main__":
    main()
