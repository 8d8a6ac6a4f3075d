"""Issue 21, point 1: recovery in seconds. A real worker (PostgreSQL + Redis in CI) is killed with
SIGKILL at 30% of a campaign to 2,000 and of an emergency alert to 500, and started again; every
recipient then has the message within 2 minutes (campaign) and 30 s (alert), nobody twice beyond
the messages in flight at the kill (at most one per sender: pool processes x the batch's sender
threads). No beat runs: the recovery is the workers' own (gateway/worker_life.py), at their
start and every few seconds.

Run with `pytest -m drill tests/test_recovery_drill.py`; the times are printed.
"""

from __future__ import annotations

import collections
import time

import pytest
from django.conf import settings

from broadcasts import services
from tests.fixtures.celery_worker import wait_until
from tests.test_broadcast_worker_flow import approved_campaign, broadcast_sends, subscribe

pytestmark = [pytest.mark.worker, pytest.mark.drill, pytest.mark.django_db(transaction=True)]

CONCURRENCY = 2
# The limiter on, at WhatsApp's default pace: the kill catches sends waiting for their token.
WORKER_ENV = {"WHATSAPP_RATE_PER_SECOND": "80", "WHATSAPP_RECIPIENT_INTERVAL_SECONDS": "0"}


@pytest.fixture
def comune(municipality, settings):
    settings.WHATSAPP_RECIPIENT_INTERVAL_SECONDS = 0
    municipality.quiet_hours_start = municipality.quiet_hours_end
    municipality.save()
    return municipality


def report(capsys, line: str) -> None:
    with capsys.disabled():
        print(f"\n[drill] {line}")


def _kill_at_30_percent_and_restart(*, fake_graph, worker, name: str, count: int, limit: float):
    listed = subscribe(count, prefix="321" if name == "campaign" else "322")
    campaign = approved_campaign(name=f"drill_{name}", is_emergency=name == "alert")
    template = f"drill_{name}"
    worker.start(graph=fake_graph, concurrency=CONCURRENCY, env=WORKER_ENV)

    started = time.monotonic()
    services.campaign_start(campaign_id=campaign.pk)
    wait_until(
        lambda: len(broadcast_sends(fake_graph, template)) >= count * 0.3,
        timeout=180,
        message=lambda: f"only {len(broadcast_sends(fake_graph, template))} sent\n{worker.log()}",
    )
    worker.kill()
    killed = time.monotonic()
    at_kill = len(broadcast_sends(fake_graph, template))
    worker.start()
    restarted = time.monotonic()
    wait_until(
        lambda: set(r.to for r in broadcast_sends(fake_graph, template)) >= set(listed),
        timeout=limit + 120,
        message=lambda: (
            f"{len(set(r.to for r in broadcast_sends(fake_graph, template)))} of {count} reached"
            f"\n{worker.log()}"
        ),
    )
    done = time.monotonic()
    times = collections.Counter(r.to for r in broadcast_sends(fake_graph, template))
    return {
        "sent_at_kill": at_kill,
        "kill_after": killed - started,
        "restart_took": restarted - killed,
        "after_restart": done - restarted,
        "after_kill": done - killed,
        "twice": sorted(to for to, n in times.items() if n > 1),
        "reached": len(times),
        "listed": set(listed),
        "times": times,
    }


@pytest.mark.parametrize(
    ("name", "count", "limit"), [("alert", 500, 30.0), ("campaign", 2000, 120.0)]
)
def test_a_worker_killed_at_30_percent_is_recovered_in_seconds(
    comune, fake_graph, celery_worker_process, capsys, name, count, limit
):
    fake_graph.answer_delay = 0.005

    result = _kill_at_30_percent_and_restart(
        fake_graph=fake_graph, worker=celery_worker_process, name=name, count=count, limit=limit
    )

    report(
        capsys,
        f"{name} to {count}: SIGKILL after {result['kill_after']:.1f} s with "
        f"{result['sent_at_kill']} sent; worker up again in {result['restart_took']:.1f} s; "
        f"everyone reached {result['after_restart']:.1f} s after the restart "
        f"({result['after_kill']:.1f} s after the kill; limit {limit:.0f} s); "
        f"received twice: {len(result['twice'])} (in flight at the kill)",
    )
    assert result["sent_at_kill"] < count, "the kill came after every send: nothing was tested"
    assert set(result["times"]) == result["listed"]
    assert result["after_restart"] <= limit
    # Only what was in flight at the kill: at most one message per sender (a batch keeps
    # BROADCAST_SEND_THREADS sends in flight, gateway/services/outbox_batch.py).
    assert len(result["twice"]) <= CONCURRENCY * settings.BROADCAST_SEND_THREADS


def test_a_lost_single_message_is_sent_and_a_dead_runs_reply_goes_to_review_in_seconds(
    comune, fake_graph, celery_worker_process, capsys
):
    """The single-message outbox: a reply whose task vanished with its worker (here: never
    enqueued) is handed again by the live worker's recovery; a reply a dead run held `sending`
    goes to review (it may have left; an operator checks), within seconds, not 5 minutes."""
    import datetime as dt

    from django.utils import timezone

    from urp_portal.gateway.models import OutboundMessage, WorkerLife

    now = timezone.now()
    # Within the citizen's 24-hour window, as a reply is.
    lost = OutboundMessage.objects.create(
        to="+393400000001",
        purpose="reply",
        text="Risposta",
        window_closes_at=now + dt.timedelta(hours=1),
    )
    WorkerLife.objects.create(
        name="morto@host/abc", hostname="morto@host", started_at=now, seen_at=now
    )
    in_flight = OutboundMessage.objects.create(
        to="+393400000002",
        purpose="reply",
        text="Altra risposta",
        state="sending",
        sending_started_at=now,
        held_by="morto@host/abc",
    )
    started = time.monotonic()
    celery_worker_process.start(graph=fake_graph, env=WORKER_ENV)

    wait_until(
        lambda: OutboundMessage.objects.get(pk=lost.pk).state == "sent",
        timeout=60,
        message=lambda: f"never sent\n{celery_worker_process.log()}",
    )
    sent_after = time.monotonic() - started
    wait_until(
        lambda: OutboundMessage.objects.get(pk=in_flight.pk).needs_review,
        timeout=60,
        message=lambda: f"never to review\n{celery_worker_process.log()}",
    )
    review_after = time.monotonic() - started

    report(
        capsys,
        f"single message: a lost task sent {sent_after:.1f} s after the worker started, "
        f"a dead run's in-flight reply in review after {review_after:.1f} s",
    )
    assert sent_after <= 30
    assert review_after <= 30
    assert [r.to for r in fake_graph.sent_messages()] == ["+393400000001"]
    assert OutboundMessage.objects.get(pk=in_flight.pk).state == "sending"
