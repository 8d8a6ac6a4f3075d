"""A status drain lets the next group gather (status_events.GATHER_SECONDS): the statuses that
arrive while it waits are applied by the same drain, and their webhooks publish no other."""

from __future__ import annotations

import pytest

from urp_portal.gateway import tasks
from urp_portal.gateway.adapters.base import ParsedStatus
from urp_portal.gateway.models import OutboundMessage, WebhookEvent
from urp_portal.gateway.services import status_events, webhook_event_store

from .test_event_queue import queue_redis  # noqa: F401  (the fixture)
from .test_status_storm import T0, _messages, _status_webhook


def _store_statuses(numbers: range) -> None:
    for i in numbers:
        status = ParsedStatus(provider_id=f"gather.{i}", status="delivered", at=T0)
        webhook_event_store(
            gateway="meta", body=_status_webhook([status]), content_type="application/json"
        )


@pytest.mark.django_db
def test_statuses_that_come_while_the_drain_waits_are_applied_by_it(
    queue_redis,  # noqa: F811
    settings,
    monkeypatch,
    django_capture_on_commit_callbacks,
):
    settings.WHATSAPP_GATEWAY = "meta"
    settings.URP_DATABASE_FAST_PATHS = False  # stored in the test's transaction, pushed on commit
    _messages("gather.", 4, known=range(4))
    drains: list[bool] = []
    monkeypatch.setattr(
        tasks.webhook_statuses_drain, "apply_async", lambda **kwargs: drains.append(True)
    )
    waits: list[float] = []

    def meanwhile(seconds: float) -> None:
        # While the drain waits, the next statuses come in (once).
        waits.append(seconds)
        if len(waits) == 1:
            with django_capture_on_commit_callbacks(execute=True):
                _store_statuses(range(2, 4))

    monkeypatch.setattr(status_events.time, "sleep", meanwhile)
    with django_capture_on_commit_callbacks(execute=True):
        _store_statuses(range(2))

    applied = status_events.webhook_statuses_drain(gather_seconds=0.2)

    assert applied == 4
    assert drains == [True], "the statuses that came while it waited published another drain"
    assert waits == [0.2, 0.2]
    assert not WebhookEvent.objects.exclude(state="processed").exists()
    assert set(OutboundMessage.objects.values_list("state", flat=True)) == {"delivered"}


@pytest.mark.django_db
def test_a_drain_run_eagerly_does_not_wait(queue_redis, settings, monkeypatch, eager_tasks):  # noqa: F811
    settings.WHATSAPP_GATEWAY = "meta"
    waits: list[float] = []
    monkeypatch.setattr(status_events.time, "sleep", waits.append)
    _messages("gather.", 2, known=range(2))
    statuses = [ParsedStatus(provider_id=f"gather.{i}", status="read", at=T0) for i in range(2)]
    stored = [
        webhook_event_store(
            gateway="meta", body=_status_webhook([status]), content_type="application/json"
        )[0]
        for status in statuses
    ]
    status_events.event_queue.push(
        *[event.pk for event in stored], lane=status_events.event_queue.STATUS_LANE
    )

    applied = status_events.webhook_statuses_drain()

    assert applied == 2
    assert waits == []
