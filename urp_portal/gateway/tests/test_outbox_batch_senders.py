"""A broadcast's batch with several sends in flight (services/outbox_batch.py): each message still
claimed, paced by the shared rate limiter and recorded once, and one sender's failure never loses
the others' work. Committed rows (transactional tests): the sender threads have connections of
their own, which see only what is committed."""

from __future__ import annotations

import pytest
from django.db import OperationalError, connection, transaction

from tests.fixtures.celery_worker import wait_until
from urp_portal.gateway.models import OutboundMessage
from urp_portal.gateway.services import outbox_batch
from urp_portal.gateway.tasks import outbound_messages_send_batch as batch_task
from urp_portal.gateway.tests.test_send_priority import ARRIVAL_JITTER

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def senders(settings):
    settings.BROADCAST_SEND_THREADS = 4
    settings.WHATSAPP_RECIPIENT_INTERVAL_SECONDS = 0
    return 4


def broadcast(count: int) -> list[OutboundMessage]:
    return OutboundMessage.objects.bulk_create(
        [
            OutboundMessage(
                to=f"+39333200{i:04d}",
                purpose="broadcast",
                template_name="notizie_settimana",
                priority=3,
            )
            for i in range(count)
        ]
    )


def threads_allowed() -> bool:
    """Sender threads run on PostgreSQL only; on SQLite (the embedded default, whose writers
    take turns anyway) the batch sends one message after another in the caller's thread."""
    return connection.vendor == "postgresql"


def connections_to_this_database() -> int:
    if not threads_allowed():
        return 0
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()")
        return cursor.fetchone()[0]


def test_a_batch_keeps_several_sends_in_flight_and_records_each_once(fake_graph, senders, settings):
    settings.WHATSAPP_RATE_PER_SECOND = 0
    fake_graph.answer_delay = 0.2
    messages = broadcast(12)
    before = connections_to_this_database()

    outbox_batch.outbound_messages_send_batch(message_ids=[m.pk for m in messages])

    arrivals = sorted(r.at for r in fake_graph.sent_messages())
    # Four at a time: each group of four arrives while the one before is still answered; one
    # after another would take 12 x 0.2 s (and does, on SQLite).
    assert len(arrivals) == 12
    if threads_allowed():
        assert arrivals[3] - arrivals[0] < fake_graph.answer_delay
        assert arrivals[-1] - arrivals[0] < 12 * fake_graph.answer_delay / 2
    else:
        assert arrivals[3] - arrivals[0] >= 3 * fake_graph.answer_delay
    rows = OutboundMessage.objects.filter(pk__in=[m.pk for m in messages])
    assert sorted(r.to for r in fake_graph.sent_messages()) == sorted(m.to for m in messages)
    assert sorted(row.provider_id for row in rows) == sorted(
        r.message_id for r in fake_graph.sent_messages()
    )
    assert {(row.state, row.attempts, row.needs_review) for row in rows} == {("sent", 1, False)}
    # The senders' connections end with the batch.
    wait_until(
        lambda: connections_to_this_database() <= before,
        timeout=5,
        message=lambda: f"{connections_to_this_database()} connections, {before} before",
    )


def test_concurrent_sends_keep_to_the_rate(fake_graph, senders, settings):
    rate = 10
    settings.WHATSAPP_RATE_PER_SECOND = rate
    fake_graph.answer_delay = 0.05
    messages = broadcast(25)

    outbox_batch.outbound_messages_send_batch(message_ids=[m.pk for m in messages])

    times = sorted(r.at for r in fake_graph.sent_messages())
    assert len(times) == 25
    # As test_send_priority's cap test: the slots are 1/(rate x 0.985) apart whoever takes them;
    # an arrival also carries its claim and HTTP call, late by up to ARRIVAL_JITTER on a busy
    # machine (the first most: its thread and connection are new), so n sends span at least
    # (n - 1) slots less that jitter.
    assert (len(times) - 1) / (times[-1] - times[0] + ARRIVAL_JITTER) <= rate
    spans = [round(b - a, 3) for a, b in zip(times, times[rate:], strict=False)]
    assert min(spans) >= 1.0 - ARRIVAL_JITTER, spans


def test_a_database_error_in_one_sender_loses_none_of_the_others_sends(
    fake_graph, senders, settings, monkeypatch
):
    settings.WHATSAPP_RATE_PER_SECOND = 0
    fake_graph.answer_delay = 0.05
    messages = broadcast(12)
    ids = [m.pk for m in messages]
    claim = outbox_batch._claim_for_call

    def claim_or_fail(message, **kwargs):
        if message.pk == ids[5]:
            raise OperationalError("the database went away")
        return claim(message, **kwargs)

    monkeypatch.setattr(outbox_batch, "_claim_for_call", claim_or_fail)

    # Raised for the task to be retried (RETRY_ON_DATABASE_ERRORS).
    with pytest.raises(OperationalError):
        outbox_batch.outbound_messages_send_batch(message_ids=ids)

    rows = {row.pk: row for row in OutboundMessage.objects.filter(pk__in=ids)}
    sent_first = {r.to for r in fake_graph.sent_messages()}
    # What the other senders sent is recorded; nothing is left half done; the rest waits.
    assert 5 <= len(sent_first) < 12
    assert {rows[m.pk].state for m in messages if m.to in sent_first} == {"sent"}
    assert {rows[m.pk].state for m in messages if m.to not in sent_first} == {"queued"}
    assert rows[ids[5]].state == "queued"

    # The task's retry sends the rest, and nothing twice.
    monkeypatch.setattr(outbox_batch, "_claim_for_call", claim)
    outbox_batch.outbound_messages_send_batch(message_ids=ids)

    tos = [r.to for r in fake_graph.sent_messages()]
    assert sorted(tos) == sorted(m.to for m in messages)
    assert set(OutboundMessage.objects.filter(pk__in=ids).values_list("state", flat=True)) == {
        "sent"
    }


def test_a_server_error_holds_the_rest_while_the_sends_in_flight_finish(
    fake_graph, senders, settings, eager_tasks
):
    settings.WHATSAPP_RATE_PER_SECOND = 0
    fake_graph.answer_delay = 0.05
    messages = broadcast(12)
    fake_graph.fail_next(1, status=500, code=131000)

    batch_task.delay([m.pk for m in messages])

    requests = fake_graph.message_requests()
    assert sorted(r.status for r in requests) == [200] * 12 + [500]
    # Each message left once, the one that failed on the batch's retry.
    assert sorted(r.to for r in fake_graph.sent_messages()) == sorted(m.to for m in messages)
    rows = OutboundMessage.objects.filter(pk__in=[m.pk for m in messages])
    assert {row.state for row in rows} == {"sent"}
    assert sorted(row.attempts for row in rows) == [1] * 11 + [2]


def test_inside_a_transaction_the_batch_sends_in_the_callers_thread(settings, senders):
    # Other connections would not see the transaction's rows (tests on `db`, a caller's atomic).
    assert outbox_batch.batch_senders(200) == (4 if threads_allowed() else 1)
    with transaction.atomic():
        assert outbox_batch.batch_senders(200) == 1
    settings.BROADCAST_SEND_THREADS = 1
    assert outbox_batch.batch_senders(200) == 1
    settings.BROADCAST_SEND_THREADS = 4
    assert outbox_batch.batch_senders(2) == (2 if threads_allowed() else 1)
