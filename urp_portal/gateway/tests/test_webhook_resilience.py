"""The webhook door when something underneath fails: the broker is down, an event was left
unprocessed, the database connection died under the INSERT. The event is kept and processed
once."""

import hashlib

import pytest
from django.db import OperationalError

from tests.fixtures.webhooks import meta_text_body, post_signed_webhook
from urp_portal.gateway.models import WebhookEvent


@pytest.mark.parametrize("hand_off", ["celery", "redis list"])
def test_with_the_broker_down_the_webhook_still_answers_200_and_keeps_the_event(
    db, client, monkeypatch, caplog, django_capture_on_commit_callbacks, hand_off
):
    from kombu.exceptions import OperationalError as BrokerError
    from redis.exceptions import ConnectionError as RedisConnectionError

    from urp_portal.gateway import event_queue
    from urp_portal.gateway.tasks import webhook_event_process as process_task

    def broker_down(*args, **kwargs):
        raise BrokerError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    def redis_down(*args, **kwargs):
        raise RedisConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(event_queue, "enabled", lambda: hand_off == "redis list")
    monkeypatch.setattr(event_queue, "push", redis_down)
    monkeypatch.setattr(process_task, "apply_async", broker_down)
    body = meta_text_body(wamid="wamid.nobroker", sender="+393470000001", text="Ci", timestamp=1)

    with django_capture_on_commit_callbacks(execute=True):
        response = post_signed_webhook(client, body)

    assert response.status_code == 200
    assert WebhookEvent.objects.get().state == WebhookEvent.State.RECEIVED
    assert "stored but not enqueued" in caplog.text


def test_the_sweep_enqueues_again_an_event_left_unprocessed_for_15_seconds(db, monkeypatch):
    import datetime as dt

    from django.utils import timezone

    from urp_portal.gateway.tasks import gateway_sweep_task
    from urp_portal.gateway.tasks import webhook_event_process as process_task

    enqueued: list[int] = []
    monkeypatch.setattr(process_task, "apply_async", lambda args, **kw: enqueued.append(args[0]))
    stale, _fresh = (
        WebhookEvent.objects.create(gateway="meta", body_sha256=str(n) * 64, body=b"{}")
        for n in (1, 2)
    )
    WebhookEvent.objects.filter(pk=stale.pk).update(
        received_at=timezone.now() - dt.timedelta(seconds=16)
    )

    gateway_sweep_task()

    assert enqueued == [stale.pk]


def _received_event(n: int) -> WebhookEvent:
    body = meta_text_body(
        wamid=f"wamid.retry{n}", sender="+393330000009", text="Riprova", timestamp=1700000000
    )
    return WebhookEvent(
        gateway="meta",
        body_sha256=hashlib.sha256(body).hexdigest(),
        body=body,
        content_type="application/json",
    )


def _dies_once(monkeypatch) -> list[object]:
    """The next INSERT fails as on a connection the database server closed; later ones run.
    Returns the DB-API connection each attempt was made on."""
    from urp_portal.gateway.services import webhook_statements

    run = webhook_statements._execute_returning
    attempts: list[object] = []

    def execute(conn, sql, values):
        conn.ensure_connection()
        attempts.append(conn.connection)
        if len(attempts) == 1:
            raise OperationalError("server closed the connection unexpectedly")
        return run(conn, sql, values)

    monkeypatch.setattr(webhook_statements, "_execute_returning", execute)
    return attempts


def test_a_webhook_insert_on_a_dead_connection_is_sent_once_more_on_a_new_one(
    transactional_db, monkeypatch
):
    from urp_portal.gateway.services.webhooks import _insert_once

    attempts = _dies_once(monkeypatch)

    [event_id] = _insert_once([_received_event(1)])

    assert len(attempts) == 2
    assert attempts[0] is not attempts[1]
    assert list(WebhookEvent.objects.values_list("pk", flat=True)) == [event_id]


def test_inside_a_transaction_a_failed_webhook_insert_is_not_sent_again(db, monkeypatch):
    from urp_portal.gateway.services.webhooks import _insert_once

    attempts = _dies_once(monkeypatch)

    with pytest.raises(OperationalError):
        _insert_once([_received_event(2)])

    assert len(attempts) == 1
