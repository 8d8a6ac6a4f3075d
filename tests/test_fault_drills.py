"""Fault drills (issue 9): the broker, the database and the Graph API fail under load, for real,
and nothing is lost or done twice. Each drill stops servers of its own (tests/fixtures/
throwaway_servers.py), never the shared ones, and prints what it checked.

Run them alone with `pytest -m drill`.
"""

from __future__ import annotations

import collections
import datetime as dt
import re
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.db import InterfaceError, OperationalError, connection, transaction
from django.test import Client

from broadcasts.models import Campaign
from broadcasts.services import campaign_start
from broadcasts.states import CampaignState
from broadcasts.tests.factories import CampaignFactory, subscribers_bulk
from tests.fixtures.celery_worker import wait_until
from tests.fixtures.webhooks import meta_text_body, post_signed_webhook
from urp_portal.accounts.tests.factories import UserFactory
from urp_portal.gateway.models import InboundMessage, OutboundMessage, WebhookEvent
from urp_portal.gateway.services import outbound_message_create
from urp_portal.gateway.tasks import gateway_sweep_task
from urp_portal.municipality.models import Municipality
from urp_portal.municipality.services import municipality_load_preset

pytestmark = [pytest.mark.worker, pytest.mark.drill]


def report(capsys: pytest.CaptureFixture[str], line: str) -> None:
    """What a drill checked, in the test run's output even when it passes."""
    with capsys.disabled():
        print(f"\n[drill] {line}")


def tolerating_restarts(predicate: Callable[[], Any]) -> Callable[[], Any]:
    """A poll that sees the database go away (it is being restarted) answers "not yet"."""

    def poll() -> Any:
        try:
            return predicate()
        except (OperationalError, InterfaceError):
            connection.close()
            return False

    return poll


# --- 1. the broker --------------------------------------------------------------------------------

BURST = 1000
OUTAGE_SECONDS = 30.0
# Webhooks before the outage, during it (spread over its 30 s) and after; 1,000 in all.
BEFORE, DURING = 300, 400
# The beat's sweep runs every minute; the drill runs it more often to end sooner (not much
# more: each run enqueues again whatever is still waiting, and a backlog is only slowed by it).
SWEEP_EVERY = 15.0


@pytest.mark.django_db(transaction=True)
def test_redis_stopped_for_30_seconds_during_1000_webhooks_loses_and_repeats_none(
    municipality, throwaway_redis, celery_worker_process, tmp_path, caplog, capsys
):
    pipeline_log = tmp_path / "pipeline.log"
    pipeline_log.touch()
    worker = celery_worker_process.start(
        pipeline=["tests.fixtures.pipeline_steps.record_run"],
        concurrency=4,
        env={"URP_TEST_PIPELINE_LOG": str(pipeline_log)},
    )
    client = Client()
    answers: collections.Counter[int] = collections.Counter()
    started = int(time.time())

    def post(i: int) -> None:
        body = meta_text_body(
            wamid=f"wamid.drill{i:05d}",
            sender=f"+39347{i % 250:07d}",
            text=f"Segnalazione numero {i}",
            timestamp=started + i,
        )
        answers[post_signed_webhook(client, body).status_code] += 1

    for i in range(BEFORE):
        post(i)
    throwaway_redis.stop()
    outage_start = time.monotonic()
    for n, i in enumerate(range(BEFORE, BEFORE + DURING)):
        # Spread over the outage, as Meta's deliveries would be.
        time.sleep(max(0.0, outage_start + n * (OUTAGE_SECONDS - 2) / DURING - time.monotonic()))
        post(i)
    time.sleep(max(0.0, outage_start + OUTAGE_SECONDS - time.monotonic()))
    # Back, and empty: the tasks queued before the outage are gone with it.
    throwaway_redis.start()
    outage = time.monotonic() - outage_start
    for i in range(BEFORE + DURING, BURST):
        post(i)
    posted = time.monotonic()
    last_sweep = posted
    supervisor_restarts = 0

    def all_processed() -> bool:
        nonlocal last_sweep, supervisor_restarts
        if InboundMessage.objects.filter(state="processed").count() == BURST:
            return True
        if worker.process is not None and worker.process.poll() is not None:
            # Celery's worker can exit when Redis vanishes under it (kombu fails to restore
            # its unacknowledged messages: AttributeError on a closed connection); in
            # production the supervisor starts it again (compose: restart: unless-stopped).
            supervisor_restarts += 1
            worker.start()
        if time.monotonic() - last_sweep >= SWEEP_EVERY:
            gateway_sweep_task()  # the beat's task, as it runs every minute
            last_sweep = time.monotonic()
        time.sleep(0.5)
        return False

    wait_until(
        all_processed,
        timeout=180,
        message=lambda: (
            f"{InboundMessage.objects.filter(state='processed').count()} of {BURST} processed, "
            f"events {collections.Counter(WebhookEvent.objects.values_list('state', flat=True))}"
            f"\n{worker.log()}"
        ),
    )

    drained = time.monotonic() - posted
    # A run's log line is written just after the commit that marks its message processed: give
    # the last ones a moment. A line can still be missing: when Redis vanishes, Celery terminates
    # the pool process of each unacknowledged acks_late task (worker_cancel_long_running_tasks_
    # on_connection_loss, settings), and one terminated between its commit and its line leaves
    # a message processed once, by the drill's pipeline (`handled_by` says which), unlogged.
    lines_due = time.monotonic() + 15
    while len(set(pipeline_log.read_text().split())) < BURST and time.monotonic() < lines_due:
        time.sleep(0.2)
    # One line per batch of events the web process stored together (group_commit).
    not_enqueued = sum(
        len(found[1].split(", "))
        for r in caplog.records
        if (found := re.search(r"webhook events (.+) stored but not enqueued", r.getMessage()))
    )
    runs = collections.Counter(pipeline_log.read_text().split())
    stored = WebhookEvent.objects.count()
    processed = InboundMessage.objects.filter(state="processed").count()
    duplicated = sum(n - 1 for n in runs.values())
    lost = BURST - processed
    handled_by = collections.Counter(InboundMessage.objects.values_list("handled_by", flat=True))
    unlogged = sorted(
        InboundMessage.objects.exclude(provider_id__in=list(runs)).values_list(
            "provider_id", "handled_by"
        )
    )
    terminated = sum(
        log.read_text(errors="replace").count("cannot be acknowledged after a connection loss")
        for log in worker.log_dir.glob("worker-*.log")
    )
    report(
        capsys,
        f"redis down {outage:.0f} s: sent {BURST}, answered {dict(answers)}, stored {stored} "
        f"({not_enqueued} not enqueued during the outage), processed {processed}, "
        f"lost {lost}, duplicated {duplicated}; all processed {drained:.0f} s after the last post "
        f"(worker restarted by its supervisor {supervisor_restarts} times, tasks terminated at "
        f"the connection loss {terminated}; processed without a log line: {unlogged or 'none'})",
    )
    assert answers == {200: BURST}
    assert not_enqueued >= DURING, "the outage did not hit the webhooks: nothing was tested"
    assert stored == BURST
    assert InboundMessage.objects.count() == processed == BURST
    assert lost == 0
    assert duplicated == 0
    # Every message went through the drill's pipeline in the worker, none elsewhere.
    assert handled_by == {"tests.fixtures.pipeline_steps.record_run": BURST}
    assert len(unlogged) <= terminated, (unlogged, terminated)


# --- 2. the database ------------------------------------------------------------------------------

SUBSCRIBERS = 300


@pytest.mark.django_db(transaction=True)
def test_the_database_restarted_during_a_broadcast_sends_each_subscriber_once(
    throwaway_postgres, fake_graph, celery_worker_process, settings, capsys
):
    settings.WHATSAPP_RATE_PER_SECOND = 0
    settings.WHATSAPP_RECIPIENT_INTERVAL_SECONDS = 0
    municipality = municipality_load_preset(slug="cagliari")
    # No quiet hours: the drill may run at any time of day.
    Municipality.objects.filter(pk=municipality.pk).update(
        quiet_hours_start=dt.time(0), quiet_hours_end=dt.time(0)
    )
    numbers = {s.number for s in subscribers_bulk(SUBSCRIBERS)}
    staff = UserFactory()
    campaign = CampaignFactory(state=CampaignState.APPROVED, created_by=staff, approved_by=staff)
    # Latency at the fake Graph API stretches the send, so the restart lands in the middle.
    fake_graph.answer_delay = 0.2
    worker = celery_worker_process.start(
        graph=fake_graph,
        concurrency=3,
        env={
            "WHATSAPP_RATE_PER_SECOND": "0",
            "WHATSAPP_RECIPIENT_INTERVAL_SECONDS": "0",
            # Smaller batches than production's: more fan-out tasks for the restart to cut.
            "BROADCAST_BATCH_SIZE": "25",
        },
    )

    campaign_start(campaign_id=campaign.pk)
    wait_until(
        lambda: len(fake_graph.sent_messages()) >= SUBSCRIBERS // 5,
        timeout=120,
        message=lambda: f"only {len(fake_graph.sent_messages())} sent\n{worker.log()}",
    )
    sent_before_restart = len(fake_graph.sent_messages())
    throwaway_postgres.restart()
    wait_until(
        tolerating_restarts(
            lambda: Campaign.objects.get(pk=campaign.pk).state == CampaignState.SENT
        ),
        timeout=180,
        message=lambda: (
            f"campaign {Campaign.objects.get(pk=campaign.pk).state}, outbox "
            f"{collections.Counter(OutboundMessage.objects.values_list('state', flat=True))}, "
            f"{len(fake_graph.sent_messages())} sent\n{worker.log()}"
        ),
    )

    times_sent = collections.Counter(r.to for r in fake_graph.sent_messages())
    rows = list(OutboundMessage.objects.filter(delivery__campaign=campaign))
    in_review = [r for r in rows if r.needs_review]
    lost = [r.to for r in rows if r.state != "sent" and not r.needs_review]
    duplicated = [to for to, n in times_sent.items() if n > 1]
    # All of it: worker.log() keeps only the tail of each start's log.
    log = "".join(
        (worker.log_dir / f"worker-{i}.log").read_text(errors="replace")
        for i in range(1, worker.starts + 1)
    )
    report(
        capsys,
        f"postgres restarted after {sent_before_restart} of {SUBSCRIBERS} sends: "
        f"sent {sum(times_sent.values())}, in review {len(in_review)}, lost {len(lost)}, "
        f"duplicated {len(duplicated)}; tasks retried {log.count(' retry: Retry in ')}, "
        f"sends recorded again {log.count('recording it again')}, database errors in the "
        f"worker's log {log.count('OperationalError') + log.count('InterfaceError')}",
    )
    assert 0 < sent_before_restart < SUBSCRIBERS, "the restart missed the send"
    assert {r.to for r in rows} == numbers
    assert lost == []
    assert duplicated == []
    for row in rows:
        if row.needs_review:
            # In flight at the restart: it may have left, once at most.
            assert row.state == "sending"
        else:
            assert row.state == "sent"
            assert times_sent[row.to] == 1
    # At most what was in flight at the restart: one per sender (pool processes x the batch's
    # BROADCAST_SEND_THREADS, gateway/services/outbox_batch.py).
    assert len(in_review) <= 3 * settings.BROADCAST_SEND_THREADS


# --- 3. the Graph API ---------------------------------------------------------------------------

MESSAGES = 200
FAULT_SECONDS = 60.0


@pytest.mark.django_db(transaction=True)
def test_a_minute_of_500s_and_429s_delays_the_sends_and_then_delivers_each_once(
    fake_graph, celery_worker_process, capsys
):
    worker = celery_worker_process.start(
        graph=fake_graph,
        concurrency=4,
        env={
            "WHATSAPP_RATE_PER_SECOND": "0",
            "WHATSAPP_RECIPIENT_INTERVAL_SECONDS": "0",
            # Production backs off up to 10 minutes, 12 times; here up to 8 s, more times, so
            # the drill ends a few seconds after the fault does.
            "WHATSAPP_SEND_RETRY_BACKOFF_SECONDS": "1",
            "WHATSAPP_SEND_RETRY_BACKOFF_MAX_SECONDS": "8",
            "WHATSAPP_SEND_MAX_RETRIES": "60",
        },
    )
    fake_graph.fail_mixed_for(FAULT_SECONDS, [(500, 131000), (429, 130429)])

    with transaction.atomic():
        messages = [
            outbound_message_create(
                to=f"+39345{i:07d}", purpose="test-broadcast", template_name="avviso"
            )
            for i in range(MESSAGES)
        ]
    wait_until(
        lambda: OutboundMessage.objects.filter(state="sent").count() == MESSAGES,
        timeout=FAULT_SECONDS + 90,
        message=lambda: (
            f"{collections.Counter(OutboundMessage.objects.values_list('state', flat=True))}"
            f"\n{worker.log()}"
        ),
    )

    requests = fake_graph.message_requests()
    attempts = collections.Counter(r.to for r in requests)
    answers = collections.Counter(r.status for r in requests)
    times_sent = collections.Counter(r.to for r in fake_graph.sent_messages())
    rows = {m.to: m for m in OutboundMessage.objects.filter(pk__in=[m.pk for m in messages])}
    duplicated = [to for to, n in times_sent.items() if n > 1]
    lost = [to for to in rows if times_sent[to] == 0]
    report(
        capsys,
        f"graph api failing {FAULT_SECONDS:.0f} s: queued {MESSAGES}, delivered "
        f"{len(times_sent)}, attempts {len(requests)} (answers {dict(answers)}, per message "
        f"{min(attempts.values())}-{max(attempts.values())}), lost {len(lost)}, "
        f"duplicated {len(duplicated)}",
    )
    assert lost == []
    assert duplicated == []
    assert answers[500] > 0 and answers[429] > 0
    for to, row in rows.items():
        assert row.state == "sent" and not row.needs_review
        # Every message met the fault, backed off and came back; the row counts each try.
        assert attempts[to] >= 2
        assert row.attempts == attempts[to]
