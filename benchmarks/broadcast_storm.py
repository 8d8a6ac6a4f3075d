"""A broadcast at WhatsApp's pace with its status storm, and citizens writing meanwhile.

    .venv/bin/python benchmarks/broadcast_storm.py                  # 10,000 at 80/s, then 400/s
    .venv/bin/python benchmarks/broadcast_storm.py --subscribers 2000   # a quick check

The whole product on this machine, as production runs it: gunicorn (gunicorn.conf.py), one
Celery worker per group of queues (docker-compose.yml's shape: citizens, statuses, broadcasts,
housekeeping), Celery beat, PostgreSQL and Redis. Meta is a fake Graph API in two processes of
its own: one answers each send at once, the other posts the three signed status webhooks back
(sent after 0.3-1 s, delivered 0.5-2.5 s later, read 1-8 s after that) over a pool of keep-alive
connections. (In one process the posting's threads slowed the answers to ~50 ms, which capped
a batch task's sequential sends at ~20/s: the fake's artefact, not Meta's. So did Nagle's
algorithm on the answering socket, ~40 ms per answer, until the fake turned it off.)
Meanwhile a citizen writes "Iscrivimi" from a new number every second (--citizens-per-second)
and waits for the welcome.

Three runs: at --rate with citizens writing, at --rate alone (--no-alone skips it), at
--fast-rate with citizens. Reported per run, beside the goals of issue #17 and the figures
before it (4.3x, 52-60 s, 18 s):
- first to last send / (N / rate): goal <= 1.03. Meta counts a number's throughput both ways,
  so with citizens writing the broadcast has what they leave: the report also gives the lowest
  ratio their messages allow and the span against the rate they left (the broadcast's own
  pacing), and the most messages of the number, both ways, in any sliding second;
- status lag: the last status webhook answered -> the campaign's API counts complete (every
  message read): goal <= 5 s;
- a citizen's reply leaving after their message, p95: goal <= 2 s;
- webhook latency p99 (status and citizens' webhooks, as the fake Meta saw it): goal < 100 ms;
- worker CPU ms per status event (the statuses worker's CPU / status webhooks) and per send
  (the broadcasts worker's CPU / messages sent); before: ~40 ms per status event;
- CPU seconds per second of every component while sending, to see what saturates first.
Then the same at --fast-rate (400/s: the machine's limit, not Meta's).

Database `urp_storm_bench` (created anew), Redis index 3 (flushed) unless BENCH_DATABASE_URL /
BENCH_REDIS_URL say otherwise; servers on free ports, or from BENCH_PORT_BASE on. Writes
benchmarks/results/broadcast_storm.txt. Bounded: each run gives up after twice its ideal time
plus a minute (10,000 at the three: about 8 minutes on a quiet machine).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from storm.citizens import Citizens
from storm.config import (
    BEFORE,
    DATABASE_URL,
    POSTERS,
    REDIS_URL,
    RESULTS,
    ROOT,
    SECRET,
    WORKERS,
    environment,
    free_port,
)
from storm.fake_meta import FakeMeta, fake_meta, status_body
from storm.processes import cpu_by_part, start, start_workers, stop
from storm.report import percentile, report

__all__ = ["SECRET", "environment", "fake_meta", "free_port", "prepare", "status_body"]


def prepare(count: int, prefix: str, rate: int) -> int:
    """Subscribers, an approved template and campaign; returns the campaign's id."""
    from django.utils import timezone

    from broadcasts.models import Campaign, MessageTemplate
    from broadcasts.states import CampaignState
    from subscribers.models import Subscriber
    from subscribers.states import SubscriberStatus

    Subscriber.objects.update(status=SubscriberStatus.UNSUBSCRIBED)
    now = timezone.now()
    Subscriber.objects.bulk_create(
        [
            Subscriber(
                number=f"+39{prefix}{i:06d}", status=SubscriberStatus.SUBSCRIBED, subscribed_at=now
            )
            for i in range(count)
        ],
        batch_size=5000,
    )
    template = MessageTemplate.objects.create(
        name=f"storm_{prefix}",
        body="Dal Comune: {{1}}",
        category="utility",
        approval_status="approved",
    )
    return Campaign.objects.create(
        title=f"storm {rate}/s",
        template=template,
        parameters=["lavori in via Roma"],
        state=CampaignState.APPROVED,
    ).pk


def api_counts(port: int, campaign_id: int, key: str) -> dict[str, int]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request(
        "GET", f"/api/v1/campaigns/{campaign_id}/", headers={"Authorization": f"Token {key}"}
    )
    response = connection.getresponse()
    body = json.loads(response.read())
    connection.close()
    return body["counts"]


def run_phase(
    *,
    count: int,
    rate: int,
    prefix: str,
    web_port: int,
    key: str,
    fake: Any,
    parts: dict,
    citizens_per_second: float,
) -> dict[str, Any]:
    from broadcasts import services

    campaign_id = prepare(count, prefix, rate)
    fake.dump("reset")
    citizens = Citizens(web_port, "33" + prefix, citizens_per_second or 1.0)
    cpu_before = cpu_by_part(parts)
    started = time.time()
    if citizens_per_second:
        citizens.start()
    services.campaign_start(campaign_id=campaign_id)
    ideal = count / rate
    deadline = started + 2 * ideal + 60
    broadcast_prefix = "39" + prefix
    while time.time() < deadline:
        seen = fake.dump()
        if sum(1 for _at, to in seen["sends"] if to.startswith(broadcast_prefix)) >= count:
            break
        time.sleep(0.5)
    sending_ended = time.time()
    cpu_sending = cpu_by_part(parts)
    citizens.halt.set()
    if citizens_per_second:
        citizens.join()
    complete_at = None
    while time.time() < deadline + 60:
        counts = api_counts(web_port, campaign_id, key)
        if counts["read"] >= count:
            complete_at = time.time()
            break
        time.sleep(0.1)
    cpu_after = cpu_by_part(parts)
    seen = fake.dump()

    broadcast = sorted(at for at, to in seen["sends"] if to.startswith(broadcast_prefix))
    first_reply: dict[str, float] = {}
    for at, to in seen["sends"]:
        if to in citizens.wrote and to not in first_reply:
            first_reply[to] = at
    replies = [first_reply[n] - wrote for n, wrote in citizens.wrote.items() if n in first_reply]
    status_posts = [p for p in seen["posted"]]
    webhook_latencies = [lat for _at, lat, _code in status_posts] + citizens.latencies
    last_status = max((at for at, _lat, _code in status_posts), default=float("nan"))
    cpu_used = {name: cpu_after[name] - cpu_before[name] for name in cpu_after}
    sending_seconds = max(sending_ended - started, 1e-9)
    return {
        "count": count,
        "rate": rate,
        "citizens_per_second": citizens_per_second,
        "inbound_times": sorted(citizens.wrote.values()),
        "sent": len(broadcast),
        "ideal": ideal,
        "span": (broadcast[-1] - broadcast[0]) if len(broadcast) > 1 else float("nan"),
        "status_webhooks": len(status_posts),
        "status_errors": sum(1 for _at, _lat, code in status_posts if code != 200),
        "status_lag": (complete_at - last_status) if complete_at else None,
        "citizens": len(citizens.wrote),
        "replies": replies,
        "unanswered": len(citizens.wrote) - len(replies),
        "webhook_p50": percentile(webhook_latencies, 0.50),
        "webhook_p99": percentile(webhook_latencies, 0.99),
        "cpu_used": cpu_used,
        "cpu_per_second": {
            name: (cpu_sending[name] - cpu_before[name]) / sending_seconds for name in cpu_sending
        },
        "waiting_statuses": seen["due"],
        "send_times": broadcast,
        "all_send_times": sorted(at for at, _to in seen["sends"]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--subscribers", type=int, default=10_000)
    parser.add_argument("--rate", type=int, default=80)
    parser.add_argument("--fast-rate", type=int, default=400, help="0 skips that run")
    parser.add_argument(
        "--citizens-per-second", type=float, default=1.0, help="new citizens writing meanwhile"
    )
    parser.add_argument(
        "--no-alone",
        action="store_true",
        help="skip the run at --rate with no citizen writing (the broadcast's own pacing)",
    )
    parser.add_argument(
        "--results", type=Path, default=RESULTS, help="where to write the results (a reduced run)"
    )
    parser.add_argument(
        "--timeline", type=Path, help="also write each broadcast send's time, one per line"
    )
    arguments = parser.parse_args()

    load_before = os.getloadavg()
    name = DATABASE_URL.rsplit("/", 1)[1]
    for sql in (f"DROP DATABASE IF EXISTS {name}", f"CREATE DATABASE {name}"):
        subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc", sql], check=True)
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()
    os.environ.update(environment(arguments.rate))
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "-v", "0"],
        cwd=ROOT,
        env=environment(arguments.rate),
        check=True,
    )
    import django

    django.setup()
    from django.core.management import call_command

    from urp_portal.municipality.models import Municipality

    call_command("load_preset", "cagliari", verbosity=0)
    # A benchmark may run at night: no quiet hours.
    Municipality.objects.update(quiet_hours_start="00:00", quiet_hours_end="00:00")
    token = (
        subprocess.run(
            [sys.executable, "manage.py", "create_api_token", "storm", "--role", "communications"],
            cwd=ROOT,
            env=environment(arguments.rate),
            check=True,
            capture_output=True,
            text=True,
        )
        .stdout.strip()
        .splitlines()[-1]
    )

    logs = Path(tempfile.mkdtemp(prefix="broadcast-storm-"))
    web_port, graph_port = free_port(), free_port()
    fake = FakeMeta(graph_port, web_port)
    graph_url = f"http://127.0.0.1:{graph_port}/v25.0"
    os.environ["WHATSAPP_GRAPH_URL"] = graph_url
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    processes: dict[str, subprocess.Popen] = {}
    results = []
    try:
        processes["gunicorn"] = start(
            [gunicorn, "urp_portal.wsgi", "-b", f"127.0.0.1:{web_port}", "--log-level", "warning"],
            arguments.rate,
            logs / "gunicorn.log",
        )
        schedule = logs / "celerybeat-schedule"
        processes["beat"] = start(
            [str(Path(sys.executable).with_name("celery")), "-A", "urp_portal", "beat",
             "-l", "warning", "--schedule", str(schedule)],
            arguments.rate,
            logs / "beat.log",
        )  # fmt: skip
        phases = [(arguments.rate, "34", arguments.citizens_per_second)]
        if not arguments.no_alone:
            phases.append((arguments.rate, "37", 0.0))
        if arguments.fast_rate:
            phases.append((arguments.fast_rate, "35", arguments.citizens_per_second))
        for rate, prefix, citizens_per_second in phases:
            workers = start_workers(rate, logs)
            processes.update(workers)
            time.sleep(8)  # the workers' boot is not the campaign's time
            parts = {name: p.pid for name, p in processes.items()}
            # This script's session: the citizens' thread and the fake Meta's process.
            parts["fake-meta+script"] = os.getsid(0)
            result = run_phase(
                count=arguments.subscribers,
                rate=rate,
                prefix=prefix,
                web_port=web_port,
                key=token,
                fake=fake,
                parts=parts,
                citizens_per_second=citizens_per_second,
            )
            results.append(result)
            print("\n".join(report(result)), flush=True)
            for name in workers:
                stop(processes.pop(name))
    finally:
        for process in processes.values():
            stop(process)
        fake.stop()
    load_after = os.getloadavg()

    lines = [
        "# Broadcast storm (benchmarks/broadcast_storm.py)",
        f"run {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} on {os.cpu_count()} CPUs; "
        f"load average before {load_before[0]:.2f}, after {load_after[0]:.2f}",
        "gunicorn (gunicorn.conf.py), workers "
        + ", ".join(f"{q} -c {c}" for q, c in WORKERS.items())
        + ", beat, PostgreSQL, Redis, the fake Meta (its own process, "
        f"{POSTERS} webhook connections) and this script, all on this machine",
        BEFORE,
    ]
    if load_before[0] > 0.5:
        lines.append(
            "NOTE: other work was running on this machine (load average above); the figures "
            "are noisy and only show that the benchmark works. Rerun on a quiet machine."
        )
    for result in results:
        lines += ["", *report(result)]
    lines.append("")
    arguments.results.write_text("\n".join(lines))
    if arguments.timeline:
        arguments.timeline.write_text(
            "".join(
                f"{result['rate']} {at:.6f}\n" for result in results for at in result["send_times"]
            )
        )
    print(f"\nwritten to {arguments.results} (logs in {logs})")


if __name__ == "__main__":
    main()
