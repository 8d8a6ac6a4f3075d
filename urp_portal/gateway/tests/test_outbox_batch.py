"""A broadcast's batch: many messages in one task through the meta adapter to the fake Graph API,
each claimed and recorded on its own, one recipient's failure never stopping the others."""

import pytest
from django.utils import timezone

from urp_portal.gateway.models import OutboundMessage, PendingStatus
from urp_portal.gateway.services import outbound_messages_send_batch
from urp_portal.gateway.tasks import outbound_messages_send_batch as batch_task
from urp_portal.gateway.tests.test_outbox import queued


def broadcast(count: int, **fields) -> list[OutboundMessage]:
    return [
        queued(
            to=f"+39333100{i:04d}",
            purpose="broadcast",
            template_name="notizie_settimana",
            template_parameters=["Raccolta rifiuti"],
            priority=3,
            **fields,
        )
        for i in range(count)
    ]


def states(messages: list[OutboundMessage]) -> list[str]:
    by_id = dict(OutboundMessage.objects.values_list("pk", "state"))
    return [by_id[m.pk] for m in messages]


def test_a_batch_sends_each_message_once_with_its_own_provider_id(db, fake_graph):
    messages = broadcast(5)

    outbound_messages_send_batch(message_ids=[m.pk for m in messages])

    sent = fake_graph.sent_messages()
    assert sorted(r.to for r in sent) == sorted(m.to for m in messages)
    rows = OutboundMessage.objects.filter(pk__in=[m.pk for m in messages])
    assert {row.state for row in rows} == {"sent"}
    assert sorted(row.provider_id for row in rows) == sorted(r.message_id for r in sent)
    assert {row.attempts for row in rows} == {1}


def test_a_batch_run_twice_sends_nothing_the_second_time(db, fake_graph):
    messages = broadcast(3)
    ids = [m.pk for m in messages]

    outbound_messages_send_batch(message_ids=ids)
    outbound_messages_send_batch(message_ids=ids)

    assert len(fake_graph.message_requests()) == 3


def test_a_batch_skips_cancelled_messages_and_reviews_one_left_in_flight(db, fake_graph):
    ok, cancelled, in_flight = broadcast(3)
    OutboundMessage.objects.filter(pk=cancelled.pk).update(state="cancelled")
    OutboundMessage.objects.filter(pk=in_flight.pk).update(
        state="sending", sending_started_at=timezone.now(), attempts=1
    )

    outbound_messages_send_batch(message_ids=[ok.pk, cancelled.pk, in_flight.pk])

    assert [r.to for r in fake_graph.sent_messages()] == [ok.to]
    assert states([ok, cancelled, in_flight]) == ["sent", "cancelled", "sending"]
    assert OutboundMessage.objects.get(pk=in_flight.pk).needs_review is True


def test_a_permanent_error_for_one_recipient_does_not_stop_the_others(db, fake_graph):
    first, unreachable, last = broadcast(3)
    fake_graph.fail_always_to(unreachable.to, status=400, code=131026)

    outbound_messages_send_batch(message_ids=[first.pk, unreachable.pk, last.pk])

    assert states([first, unreachable, last]) == ["sent", "failed", "sent"]
    assert OutboundMessage.objects.get(pk=unreachable.pk).error_code == "131026"


def test_a_server_error_holds_the_rest_of_the_batch_until_its_retry(db, fake_graph, eager_tasks):
    messages = broadcast(4)
    fake_graph.fail_next(1, status=500, code=131000)
    fake_graph.fail_next(1, status=429, code=130429)

    batch_task.delay([m.pk for m in messages])

    statuses = [r.status for r in fake_graph.message_requests()]
    # The first send failed twice and held the others each time; then all four went, once each.
    assert statuses == [500, 429, 200, 200, 200, 200]
    assert states(messages) == ["sent"] * 4
    assert OutboundMessage.objects.get(pk=messages[0].pk).attempts == 3


def test_a_batch_past_its_last_retry_hands_each_message_to_its_own_retries(
    db, fake_graph, eager_tasks, settings
):
    settings.WHATSAPP_SEND_MAX_RETRIES = 2
    messages = broadcast(2)
    # Three failures use up the batch's retries; the single sends then succeed.
    fake_graph.fail_next(3, status=503, code=131016)

    batch_task.delay([m.pk for m in messages])

    assert states(messages) == ["sent", "sent"]
    assert len(fake_graph.sent_messages()) == 2


def test_a_pair_rate_limit_sends_that_recipient_later_and_the_rest_now(db, fake_graph, settings):
    settings.WHATSAPP_RECIPIENT_INTERVAL_SECONDS = 0
    busy, other = broadcast(2)
    fake_graph.fail_next(1, status=400, code=131056)

    outbound_messages_send_batch(message_ids=[busy.pk, other.pk])

    assert states([busy, other]) == ["queued", "sent"]
    assert OutboundMessage.objects.get(pk=busy.pk).error_code == "131056"


def test_a_status_that_came_before_the_send_answer_is_applied_after_the_batch(db, fake_graph):
    (message,) = broadcast(1)
    PendingStatus.objects.create(
        provider_id="wamid.fake00000001", status="delivered", at=timezone.now()
    )

    outbound_messages_send_batch(message_ids=[message.pk])

    message.refresh_from_db()
    assert (message.provider_id, message.state) == ("wamid.fake00000001", "delivered")


@pytest.mark.parametrize("size", [10, 40])
def test_a_batch_costs_three_statements_a_message_and_a_few_more(
    db, fake_graph, django_assert_max_num_queries, settings, size
):
    # The limiter's own cost is in Redis (in the database only in the embedded default).
    settings.WHATSAPP_RATE_PER_SECOND = 0
    settings.WHATSAPP_RECIPIENT_INTERVAL_SECONDS = 0
    messages = broadcast(size)

    # Per message: the claim, the last-moment check that the recipient is still on the list
    # (gateway/services/send_checks.py) and the record (each its own commit); per batch: the
    # read and the look for early statuses.
    with django_assert_max_num_queries(3 * size + 2):
        outbound_messages_send_batch(message_ids=[m.pk for m in messages])

    assert len(fake_graph.sent_messages()) == size


def test_a_broadcasts_header_image_is_uploaded_once_and_sent_with_each_template(
    db, fake_graph, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    (tmp_path / "campagne").mkdir()
    (tmp_path / "campagne" / "mercato.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 64)
    messages = broadcast(3, media_file="campagne/mercato.png")

    outbound_messages_send_batch(message_ids=[m.pk for m in messages])

    uploads = [r for r in fake_graph.requests if r.path.endswith("/media")]
    assert len(uploads) == 1
    (media_id,) = {
        r.json["template"]["components"][0]["parameters"][0]["image"]["id"]
        for r in fake_graph.message_requests()
    }
    assert media_id.startswith("fake-media-")
    assert [r.json["template"]["components"][1]["type"] for r in fake_graph.message_requests()] == [
        "body"
    ] * 3
