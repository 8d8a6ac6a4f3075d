"""A campaign's fan-out to the fake Graph API through real Celery workers, on PostgreSQL + Redis.

    DEBUG=true .venv/bin/python benchmarks/campaign_fanout.py [--off 2000] [--limited 10000]

(a) limiter off: a campaign to --off subscribers sent by one worker process (-c 1), then by two
worker processes (-c 1 each), beside a bare loop of requests.Session posts to the same server
(goal: at least 60% of it); (b) limiter at 80/s: a campaign to --limited subscribers with four
pool processes, its duration against the n/80 seconds the limit allows (goal: within 3%).

Reuses outbox_send.py's harness (bare loop, worker start, one-second windows). Database
`urp_bcast_bench` (created anew), Redis index 4 unless REDIS_URL says otherwise. Writes
benchmarks/results/campaign_fanout.txt with the load average before and after.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/urp_bcast_bench")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/4")
os.environ.setdefault("WHATSAPP_RECIPIENT_INTERVAL_SECONDS", "0")

import outbox_send as harness  # noqa: E402  (sets up Django on the URLs above)
from django.core.management import call_command  # noqa: E402
from django.utils import timezone  # noqa: E402

from broadcasts import services  # noqa: E402
from broadcasts.models import Campaign, MessageTemplate  # noqa: E402
from broadcasts.states import CampaignState  # noqa: E402
from subscribers.models import Subscriber  # noqa: E402
from subscribers.states import SubscriberStatus  # noqa: E402
from tests.fixtures.fake_graph import FakeGraph  # noqa: E402
from urp_portal.celery import app  # noqa: E402
from urp_portal.gateway import ratelimit  # noqa: E402
from urp_portal.gateway.models import OutboundMessage  # noqa: E402
from urp_portal.municipality.services import municipality_load_preset  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results" / "campaign_fanout.txt"


def subscribers(count: int, prefix: str) -> None:
    Subscriber.objects.update(status=SubscriberStatus.UNSUBSCRIBED)
    now = timezone.now()
    Subscriber.objects.bulk_create(
        [
            Subscriber(
                number=f"+39{prefix}{i:07d}", status=SubscriberStatus.SUBSCRIBED, subscribed_at=now
            )
            for i in range(count)
        ],
        batch_size=5000,
    )


def campaign_run(graph: FakeGraph, *, count: int, prefix: str, workers: list[tuple[int, int]]):
    """Plan a campaign to `count` new subscribers, start the workers ((concurrency, rate) each)
    and wait for it to be sent. Returns the send times the server saw and the planning time."""
    subscribers(count, prefix)
    template = MessageTemplate.objects.create(
        name=f"bench_{prefix}", body="Dal Comune: {{1}}", approval_status="approved"
    )
    campaign = Campaign.objects.create(
        title=f"bench {prefix}", template=template, parameters=["x"], state=CampaignState.APPROVED
    )
    before = len(graph.sent_messages())
    processes = [
        harness.start_worker(graph, concurrency=concurrency, rate=rate)
        for concurrency, rate in workers
    ]
    try:
        time.sleep(5)  # the workers' start is not the fan-out's time
        started = time.perf_counter()
        services.campaign_start(campaign_id=campaign.pk)
        planned = time.perf_counter() - started
        deadline = time.time() + 3600
        while time.time() < deadline:
            campaign.refresh_from_db()
            if campaign.state == CampaignState.SENT:
                break
            time.sleep(0.5)
        else:
            raise SystemExit(f"campaign {prefix} not sent after an hour")
    finally:
        for process in processes:
            os.killpg(process.pid, signal.SIGTERM)
        for process in processes:
            process.wait(timeout=60)
    times = [r.at for r in graph.sent_messages()[before:]]
    assert len(times) == count, (len(times), count)
    return times, planned


def per_second(times: list[float]) -> float:
    return (len(times) - 1) / (max(times) - min(times))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--off", type=int, default=2000, help="recipients, limiter off")
    parser.add_argument("--limited", type=int, default=10_000, help="recipients at 80/s")
    args = parser.parse_args()
    load_before = os.getloadavg()
    harness.recreate_database(os.environ["DATABASE_URL"])
    call_command("migrate", verbosity=0)
    comune = municipality_load_preset(slug="san_giuliano")
    comune.quiet_hours_start = comune.quiet_hours_end  # any hour
    comune.save()
    app.control.purge()
    ratelimit.reset_redis()
    graph = FakeGraph()
    try:
        bare = harness.bare_loop(graph, 2000)
        one, _ = campaign_run(graph, count=args.off, prefix="340", workers=[(1, 0)])
        two, _ = campaign_run(graph, count=args.off, prefix="341", workers=[(1, 0), (1, 0)])
        ratelimit.reset_redis()
        limited, _ = campaign_run(graph, count=args.limited, prefix="342", workers=[(4, 80)])
    finally:
        graph.close()
        app.control.purge()
    one_rate, two_rate = per_second(one), per_second(two)
    allowed = args.limited / 80
    took = max(limited) - min(limited)
    sliding, calendar = harness.max_in_window(limited)
    sent = OutboundMessage.objects.filter(state="sent").count()
    load_after = os.getloadavg()
    report = f"""Campaign fan-out to the fake Graph API ({time.strftime("%Y-%m-%d %H:%M", time.gmtime())} UTC)
machine: {os.cpu_count()} CPUs shared with other helpers' tests; PostgreSQL + Redis; prefork workers
load average before: {" ".join(f"{x:.2f}" for x in load_before)}; after: {" ".join(f"{x:.2f}" for x in load_after)}

bare loop of requests.Session posts (one thread)         : {bare:8.1f} posts/s
campaign to {args.off}, limiter off, 1 worker (-c 1)          : {one_rate:8.1f} messages/s ({one_rate / bare:.1%} of the bare loop)
campaign to {args.off}, limiter off, 2 workers (-c 1 each)    : {two_rate:8.1f} messages/s ({two_rate / bare:.1%} of the bare loop)
goal: at least 60% of the bare loop: {"met" if max(one_rate, two_rate) >= 0.6 * bare else "NOT met"}

limiter at 80/s, campaign to {args.limited}, 4 pool processes:
  first to last send: {took:.1f} s; the limit allows {allowed:.1f} s; ratio {took / allowed:.3f}
  goal within 3%: {"met" if took <= allowed * 1.03 else "NOT met"}
  overall {per_second(limited):.1f} messages/s
  most sends in any sliding one-second window : {sliding} (must not exceed 80)
  most sends in any calendar second           : {calendar}
rows sent in the database: {sent} of {2 * args.off + args.limited}
"""  # noqa: E501
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(report)
    print(report)


if __name__ == "__main__":
    main()
