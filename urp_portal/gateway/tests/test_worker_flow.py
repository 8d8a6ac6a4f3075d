"""The real flow through the real doors: a signed webhook, a real Celery worker process, the
fake Graph API's log of what was sent, its status webhooks coming back."""

import collections
import time

import pytest
from django.db import transaction
from django.utils import timezone

from tests.fixtures.celery_worker import wait_until
from tests.fixtures.webhooks import meta_text_body, post_signed_webhook
from urp_portal.gateway.models import InboundMessage, OutboundMessage
from urp_portal.gateway.services import outbound_message_create, outbox_sweep

pytestmark = pytest.mark.worker

CITIZEN = "+393471234567"


@pytest.mark.django_db(transaction=True)
def test_an_inbound_message_gets_an_automatic_reply_that_ends_read(
    municipality, live_server, fake_graph, celery_worker_process, client, settings
):
    fake_graph.post_statuses_to(live_server.url, app_secret=settings.WHATSAPP_APP_SECRET)
    worker = celery_worker_process.start(
        graph=fake_graph, pipeline=["tests.fixtures.pipeline_steps.auto_reply"]
    )
    body = meta_text_body(
        wamid="wamid.flow1", sender=CITIZEN, text="Orari anagrafe?", timestamp=int(time.time())
    )

    response = post_signed_webhook(client, body)
    reply = wait_until(
        lambda: OutboundMessage.objects.filter(to=CITIZEN, state="read").first(),
        timeout=60,
        message=lambda: f"reply not read: {list(OutboundMessage.objects.values())}\n{worker.log()}",
    )

    assert response.status_code == 200
    assert InboundMessage.objects.get().state == "processed"
    (sent,) = fake_graph.sent_messages()
    assert sent.json["text"]["body"] == "Ricevuto: Orari anagrafe?"
    assert sent.to == CITIZEN
    assert reply.provider_id == sent.message_id
    assert reply.sent_at and reply.delivered_at and reply.read_at


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_in_the_middle_of_500_sends_sends_each_once_or_marks_it_for_review(
    fake_graph, celery_worker_process
):
    count = 500
    # A little latency widens the in-flight window, so the kill is likely to catch sends.
    fake_graph.answer_delay = 0.01
    worker = celery_worker_process.start(
        graph=fake_graph, concurrency=4, env={"WHATSAPP_RATE_PER_SECOND": "0"}
    )
    with transaction.atomic():
        messages = [
            outbound_message_create(
                to=f"+39340{i:07d}", purpose="test-broadcast", template_name="avviso"
            )
            for i in range(count)
        ]
    ids = [m.pk for m in messages]

    wait_until(
        lambda: len(fake_graph.sent_messages()) >= 100,
        timeout=120,
        message=lambda: f"only {len(fake_graph.sent_messages())} sent\n{worker.log()}",
    )
    worker.kill()
    killed_at = timezone.now()
    sent_before_restart = len(fake_graph.sent_messages())
    worker.start()
    # The beat's sweep, run now instead of minutes later: rows the dead worker left `sending`
    # go to review; queued rows whose task died with it are enqueued again.
    outbox_sweep(sending_started_before=killed_at, queued_before=killed_at)

    def settled() -> bool:
        rows = OutboundMessage.objects.filter(pk__in=ids)
        return rows.filter(state="sent").count() + rows.filter(needs_review=True).count() == count

    wait_until(
        settled,
        timeout=240,
        message=lambda: (
            f"{collections.Counter(OutboundMessage.objects.values_list('state', flat=True))}"
            f"\n{worker.log()}"
        ),
    )

    times_sent = collections.Counter(r.to for r in fake_graph.sent_messages())
    rows = list(OutboundMessage.objects.filter(pk__in=ids))
    in_review = [r for r in rows if r.needs_review]
    assert sent_before_restart < count, "the kill came after every send: nothing was tested"
    assert all(n == 1 for n in times_sent.values()), "a message reached WhatsApp twice"
    for row in rows:
        if row.needs_review:
            assert row.state == "sending"
            assert times_sent[row.to] <= 1
        else:
            assert row.state == "sent"
            assert times_sent[row.to] == 1
    # Only what was in flight at the kill: at most one per pool process.
    assert len(in_review) <= 4
