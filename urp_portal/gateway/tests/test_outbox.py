"""The outbox: sending through the meta adapter to the fake Graph API, retries, the 24-hour
window, statuses in any order, in-flight sends marked for review."""

import datetime as dt

import pytest
from django.utils import timezone

from tests.fixtures.webhooks import meta_status_body, post_signed_webhook
from urp_portal.gateway import ratelimit
from urp_portal.gateway.models import InboundMessage, OutboundMessage, PendingStatus, WebhookEvent
from urp_portal.gateway.services import (
    outbound_message_create,
    outbound_message_retry,
    outbound_message_send,
    outbox_sweep,
    webhook_event_process,
)
from urp_portal.gateway.tasks import outbound_message_send as send_task
from urp_portal.municipality.errors import UserError

CITIZEN = "+393331234567"


def citizen_wrote(*, to: str = CITIZEN, hours_ago: float = 1) -> InboundMessage:
    return InboundMessage.objects.create(
        provider_id=f"wamid.in.{to}.{hours_ago}",
        sender=to,
        sent_at=timezone.now() - dt.timedelta(hours=hours_ago),
        kind="text",
        text="Buongiorno",
    )


def queued(**fields) -> OutboundMessage:
    fields.setdefault("to", CITIZEN)
    fields.setdefault("purpose", "reply")
    if "template_name" not in fields:
        fields.setdefault("text", "Gentile cittadino, la pratica è in corso.")
    return OutboundMessage.objects.create(**fields)


def process_status(client, *, wamid: str, status: str, to: str = CITIZEN, at: int = 1_700_000_000):
    post_signed_webhook(
        client, meta_status_body(wamid=wamid, status=status, recipient=to, timestamp=at)
    )
    event = WebhookEvent.objects.order_by("-pk").first()
    webhook_event_process(event_id=event.pk)


def test_a_reply_within_the_window_goes_to_the_graph_api_with_the_token(db, fake_graph):
    citizen_wrote()
    message = queued()

    send_task.apply((message.pk,))

    (request,) = fake_graph.message_requests()
    assert request.path == "/v23.0/1122334455667/messages"
    assert request.headers["Authorization"] == "Bearer test-access-token"
    assert request.json == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": "393331234567",
        "type": "text",
        "text": {"body": "Gentile cittadino, la pratica è in corso.", "preview_url": False},
    }
    message.refresh_from_db()
    assert (message.state, message.provider_id, message.attempts) == (
        "sent",
        request.message_id,
        1,
    )


def test_a_template_with_parameters_is_sent_outside_the_window(db, fake_graph):
    message = queued(template_name="avviso_scadenza", template_parameters=["TARI", "31 maggio"])

    send_task.apply((message.pk,))

    (request,) = fake_graph.message_requests()
    assert request.json["template"] == {
        "name": "avviso_scadenza",
        "language": {"code": "it"},
        "components": [
            {
                "type": "body",
                "parameters": [
                    {"type": "text", "text": "TARI"},
                    {"type": "text", "text": "31 maggio"},
                ],
            }
        ],
    }
    message.refresh_from_db()
    assert message.state == "sent"


def test_an_image_by_link_is_sent_as_an_image_with_its_caption(db, fake_graph):
    citizen_wrote()
    message = queued(media_url="https://comune.example.it/avviso.jpg", text="Avviso")

    send_task.apply((message.pk,))

    (request,) = fake_graph.message_requests()
    assert request.json["type"] == "image"
    assert request.json["image"] == {
        "link": "https://comune.example.it/avviso.jpg",
        "caption": "Avviso",
    }


def test_free_text_after_the_24_hour_window_is_refused_before_sending(db, fake_graph):
    citizen_wrote(hours_ago=25)
    message = queued()

    send_task.apply((message.pk,))

    message.refresh_from_db()
    assert message.state == "failed"
    assert message.error_code == "131047"
    assert "modello" in message.error_message
    assert fake_graph.message_requests() == []


def test_transient_errors_500_and_429_are_retried_until_the_send_succeeds(
    db, fake_graph, eager_tasks
):
    citizen_wrote()
    message = queued()
    fake_graph.fail_next(1, status=500, code=131000)
    fake_graph.fail_next(1, status=429, code=130429)

    send_task.delay(message.pk)

    requests = fake_graph.message_requests()
    assert [r.status for r in requests] == [500, 429, 200]
    message.refresh_from_db()
    assert (message.state, message.attempts, message.error_code) == ("sent", 3, "")


def test_a_permanent_error_is_not_retried_and_keeps_its_code(db, fake_graph, eager_tasks):
    citizen_wrote()
    message = queued()
    fake_graph.fail_next(1, status=400, code=131047, message="Re-engagement message")

    send_task.delay(message.pk)

    assert len(fake_graph.message_requests()) == 1
    message.refresh_from_db()
    assert (message.state, message.error_code) == ("failed", "131047")
    assert "Re-engagement message" in message.error_message
    assert "modello approvato" in message.error_message


def test_transient_errors_that_never_end_fail_after_the_last_retry(db, fake_graph, eager_tasks):
    citizen_wrote()
    message = queued()
    fake_graph.fail_for(3600, status=503, code=131016)

    send_task.delay(message.pk)

    # Every retry was used (Celery's eager mode runs the first retry twice, hence no ==).
    assert len(fake_graph.message_requests()) >= send_task.max_retries + 1
    message.refresh_from_db()
    assert (message.state, message.error_code) == ("failed", "131016")


def test_a_message_found_in_flight_is_marked_for_review_and_not_sent_again(db, fake_graph):
    citizen_wrote()
    message = queued(state="sending", sending_started_at=timezone.now(), attempts=1)

    send_task.apply((message.pk,))

    assert fake_graph.message_requests() == []
    message.refresh_from_db()
    assert (message.state, message.needs_review) == ("sending", True)


def test_the_sweep_marks_dead_sends_for_review_and_requeues_lost_tasks(db, fake_graph, eager_tasks):
    citizen_wrote()
    long_ago = timezone.now() - dt.timedelta(hours=1)
    dead = queued(state="sending", sending_started_at=long_ago, attempts=1)
    lost = queued(to="+393339999999", template_name="benvenuto")
    OutboundMessage.objects.filter(pk=lost.pk).update(created_at=long_ago)

    outcome = outbox_sweep(sending_started_before=timezone.now(), queued_before=timezone.now())

    assert outcome == {"marked_for_review": 1, "requeued": 1}
    dead.refresh_from_db()
    lost.refresh_from_db()
    assert dead.needs_review is True
    assert lost.state == "sent"
    assert [r.to for r in fake_graph.sent_messages()] == ["+393339999999"]


def test_an_operator_retry_requeues_a_message_in_review(
    db, fake_graph, django_capture_on_commit_callbacks, eager_tasks
):
    citizen_wrote()
    message = queued(state="sending", needs_review=True, attempts=1)

    with django_capture_on_commit_callbacks(execute=True):
        outbound_message_retry(message_id=message.pk)

    message.refresh_from_db()
    assert (message.state, message.needs_review) == ("sent", False)


def test_a_sent_message_cannot_be_retried(db):
    message = queued(state="sent", provider_id="wamid.x")

    with pytest.raises(UserError):
        outbound_message_retry(message_id=message.pk)


def test_statuses_out_of_order_end_in_read(db, client, fake_graph):
    citizen_wrote()
    message = queued()
    send_task.apply((message.pk,))
    message.refresh_from_db()

    process_status(client, wamid=message.provider_id, status="read", at=1_700_000_020)
    process_status(client, wamid=message.provider_id, status="delivered", at=1_700_000_010)
    process_status(client, wamid=message.provider_id, status="sent", at=1_700_000_000)

    message.refresh_from_db()
    assert message.state == "read"
    assert message.read_at.timestamp() == 1_700_000_020
    assert message.delivered_at is not None


def test_statuses_that_arrive_before_the_send_answer_are_applied_when_it_comes(
    db, client, fake_graph
):
    citizen_wrote()
    message = queued()
    # The fake numbers its message ids: the first send will be answered with this one.
    process_status(client, wamid="wamid.fake00000001", status="delivered")
    process_status(client, wamid="wamid.fake00000001", status="read")
    assert PendingStatus.objects.count() == 2

    send_task.apply((message.pk,))

    message.refresh_from_db()
    assert (message.provider_id, message.state) == ("wamid.fake00000001", "read")
    assert PendingStatus.objects.count() == 0


def test_a_failed_status_records_the_providers_error(db, client, fake_graph):
    citizen_wrote()
    message = queued()
    send_task.apply((message.pk,))
    message.refresh_from_db()

    process_status(client, wamid=message.provider_id, status="failed")

    message.refresh_from_db()
    assert (message.state, message.error_code) == ("failed", "131026")


def test_a_late_failure_does_not_undo_a_delivery(db, client, fake_graph):
    citizen_wrote()
    message = queued()
    send_task.apply((message.pk,))
    message.refresh_from_db()

    process_status(client, wamid=message.provider_id, status="delivered")
    process_status(client, wamid=message.provider_id, status="failed")

    message.refresh_from_db()
    assert message.state == "delivered"


def test_a_second_message_to_the_same_citizen_waits_for_its_pace(db, fake_graph, settings):
    settings.WHATSAPP_RECIPIENT_INTERVAL_SECONDS = 6.0
    citizen_wrote()
    first, second = queued(), queued(text="Seconda risposta")

    first_wait = outbound_message_send(message_id=first.pk)
    second_wait = outbound_message_send(message_id=second.pk)

    assert first_wait == 0
    assert second_wait > 5
    second.refresh_from_db()
    assert second.state == "queued"
    assert second.not_before is not None
    assert len(fake_graph.sent_messages()) == 1


def test_an_urgent_message_skips_the_recipients_pace(db, fake_graph):
    citizen_wrote()
    first, urgent = queued(), queued(template_name="allerta_meteo", priority=9)

    outbound_message_send(message_id=first.pk)
    wait = outbound_message_send(message_id=urgent.pk)

    assert wait == 0
    assert len(fake_graph.sent_messages()) == 2


def test_pair_rate_limit_pushes_the_recipient_back_and_retries(db, fake_graph, settings):
    settings.WHATSAPP_RECIPIENT_INTERVAL_SECONDS = 0
    citizen_wrote()
    message = queued()
    fake_graph.fail_next(1, status=400, code=131056)

    with pytest.raises(Exception) as raised:
        outbound_message_send(message_id=message.pk)

    assert type(raised.value).__name__ == "PairRateLimitError"
    message.refresh_from_db()
    assert (message.state, message.error_code) == ("queued", "131056")
    assert ratelimit.reserve("to:" + CITIZEN, 0.001) > 50


def test_the_limiter_spaces_slots_by_the_rate(db):
    ratelimit.reserve("test-bucket", 0.5)

    second = ratelimit.reserve("test-bucket", 0.5)
    third = ratelimit.reserve("test-bucket", 0.5)

    assert 0.4 < second <= 0.5
    assert 0.9 < third <= 1.0


def test_outbound_message_create_enqueues_after_commit(
    db, django_capture_on_commit_callbacks, eager_tasks, fake_graph
):
    citizen_wrote()

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        message = outbound_message_create(to=CITIZEN, purpose="reply", text="Ciao")

    assert len(callbacks) == 1
    message.refresh_from_db()
    assert message.state == "sent"


def test_a_database_blip_after_the_provider_took_the_message_still_records_it_sent(
    db, fake_graph, settings, monkeypatch
):
    from django.db import OperationalError

    from urp_portal.gateway.services import outbox, outbox_statements

    settings.WHATSAPP_RATE_PER_SECOND = 0
    settings.WHATSAPP_RECIPIENT_INTERVAL_SECONDS = 0
    message = queued(template_name="avviso")
    real_lock, locks = outbox._lock, []

    def lock_failing_once_after_the_send(message_id):
        locks.append(message_id)
        if len(locks) == 2:  # the first lock moves it to `sending`; the second records it sent
            raise OperationalError("terminating connection due to administrator command")
        return real_lock(message_id)

    monkeypatch.setattr(outbox, "_lock", lock_failing_once_after_the_send)
    monkeypatch.setattr(outbox_statements.time, "sleep", lambda seconds: None)
    monkeypatch.setattr(outbox_statements.connection, "close", lambda: None)

    outbound_message_send(message_id=message.pk)

    message.refresh_from_db()
    (sent,) = fake_graph.sent_messages()
    assert message.state == "sent" and not message.needs_review
    assert message.provider_id == sent.message_id


def test_a_broker_down_after_commit_leaves_the_reply_to_the_sweep_and_runs_the_other_callbacks(
    db, unreachable_broker, django_capture_on_commit_callbacks
):
    from django.db import transaction

    citizen_wrote()
    ran = []

    with django_capture_on_commit_callbacks(execute=True):
        message = outbound_message_create(to=CITIZEN, purpose="reply", text="Ricevuto")
        transaction.on_commit(lambda: ran.append("next callback"))

    # The enqueue failed (logged); the row waits in the queue for the sweep.
    assert ran == ["next callback"]
    message.refresh_from_db()
    assert message.state == "queued"
