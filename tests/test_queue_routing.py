"""Queues by urgency: each task lands on its queue (settings' CELERY_TASK_ROUTES), through the
product's own paths and the real broker, and one worker takes the most urgent first."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.db import transaction

from tests.fixtures.celery_worker import purge_broker, wait_until
from tests.fixtures.webhooks import meta_status_body, meta_text_body, post_signed_webhook
from urp_portal.celery import app
from urp_portal.gateway import event_queue
from urp_portal.gateway.backlog import gateway_backlog
from urp_portal.gateway.models import OutboundMessage
from urp_portal.gateway.services import outbound_message_create

EXPECTED = {
    "urp_portal.gateway.tasks.webhook_event_process": "citizens",
    "urp_portal.gateway.tasks.webhook_events_drain": "citizens",
    "urp_portal.gateway.tasks.inbound_message_process": "citizens",
    "urp_portal.gateway.media_tasks.inbound_media_fetch": "citizens",
    "urp_portal.gateway.tasks.outbound_message_send": "citizens",
    "urp_portal.simulator.tasks.citizen_message_post": "citizens",
    "tickets.tasks.forward_email_send": "citizens",
    "urp_portal.simulator.tasks.simulated_status_post": "statuses",
    "urp_portal.gateway.tasks.webhook_statuses_drain": "statuses",
    "urp_portal.gateway.tasks.webhook_status_events_process": "statuses",
    "urp_portal.gateway.tasks.outbound_messages_send_batch": "broadcasts",
    "urp_portal.gateway.tasks.outbound_message_send_bulk": "broadcasts",
    "broadcasts.tasks.campaign_start_task": "broadcasts",
    "broadcasts.tasks.campaign_send_batch": "broadcasts",
    "broadcasts.tasks.message_template_submit_task": "housekeeping",
    "urp_portal.simulator.tasks.simulated_template_review": "housekeeping",
}


def _queue_of(task_name: str) -> str:
    return app.amqp.router.route({}, task_name)["queue"].name


def test_each_task_is_routed_to_its_queue_and_the_periodic_ones_to_housekeeping():
    app.loader.import_default_modules()
    ours = {name for name in app.tasks if not name.startswith("celery.")}

    assert {name: _queue_of(name) for name in EXPECTED} == EXPECTED
    periodic = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {name: _queue_of(name) for name in periodic} == dict.fromkeys(periodic, "housekeeping")
    # Nothing is left to chance: every task is named above or is a periodic one.
    assert ours <= set(EXPECTED) | periodic, ours - set(EXPECTED) - periodic
    assert [q.name for q in settings.CELERY_TASK_QUEUES] == [
        "citizens",
        "statuses",
        "broadcasts",
        "housekeeping",
    ]


@pytest.mark.django_db(transaction=True)
def test_the_product_publishes_each_kind_of_work_on_its_queue(municipality, client):
    purge_broker()
    try:
        with transaction.atomic():
            outbound_message_create(to="+393470000009", purpose="reply", template_name="x")
            outbound_message_create(
                to="+393470000010", purpose="broadcast", template_name="x", priority=3
            )
        post_signed_webhook(
            client, meta_text_body(wamid="r.1", sender="+393470000011", text="Ciao", timestamp=1)
        )
        post_signed_webhook(
            client,
            meta_status_body(wamid="r.2", status="read", recipient="+393470000012", timestamp=1),
        )

        backlog = gateway_backlog()
    finally:
        purge_broker()

    # The reply and the citizen's message on the citizens' queue, the status on the statuses'
    # (with Redis: the webhooks wait on their lanes and a drain task each is published).
    assert backlog.queues == {"citizens": 2, "statuses": 1, "broadcasts": 1, "housekeeping": 0}
    if event_queue.enabled():
        assert backlog.webhook_lanes == {"events": 1, "statuses": 1}


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_one_worker_takes_a_citizens_task_before_the_broadcasts_waiting(
    fake_graph, celery_worker_process
):
    from urp_portal.gateway.tasks import outbound_messages_send_batch

    # Ten broadcast batches of one message each, then one reply, all waiting before the
    # worker starts: the worker looks at the citizens' queue first.
    batches = [
        OutboundMessage.objects.create(
            to=f"+39340555{i:04d}", purpose="broadcast", template_name="avviso", priority=3
        ).pk
        for i in range(10)
    ]
    for message_id in batches:
        outbound_messages_send_batch.delay([message_id])
    with transaction.atomic():
        outbound_message_create(to="+393470000099", purpose="reply", template_name="risposta")

    worker = celery_worker_process.start(
        graph=fake_graph, concurrency=1, env={"WHATSAPP_RECIPIENT_INTERVAL_SECONDS": "0"}
    )
    wait_until(
        lambda: len(fake_graph.sent_messages()) == 11,
        timeout=60,
        message=lambda: f"{len(fake_graph.sent_messages())} of 11 sent\n{worker.log()}",
    )

    assert fake_graph.sent_messages()[0].to == "+393470000099"


@pytest.mark.django_db(transaction=True)
def test_the_sweep_hands_stale_status_events_to_the_statuses_queue_in_groups():
    import datetime as dt
    import hashlib

    from django.utils import timezone

    from urp_portal.gateway.models import WebhookEvent
    from urp_portal.gateway.services import inbound_sweep

    bodies = [
        meta_status_body(wamid=f"s.{i}", status="read", recipient="+393470000013", timestamp=1)
        for i in range(3)
    ] + [meta_text_body(wamid="s.t", sender="+393470000014", text="Ciao", timestamp=1)]
    for body in bodies:
        WebhookEvent.objects.create(
            gateway="meta", body=body, body_sha256=hashlib.sha256(body).hexdigest()
        )
    purge_broker()
    try:
        now = timezone.now() + dt.timedelta(minutes=1)
        swept = inbound_sweep(received_before=now, not_before=now - dt.timedelta(days=1))
        backlog = gateway_backlog()
    finally:
        purge_broker()

    assert swept["events"] == 4
    # The three statuses in one task on their queue; the citizen's message on the citizens'.
    assert backlog.queues == {"citizens": 1, "statuses": 1, "broadcasts": 0, "housekeeping": 0}
