"""The hottest writes behave the same on their hand-written fast path and on the plain ORM path
(URP_DATABASE_FAST_PATHS): a webhook body stored once, a send claimed once and recorded. On
PostgreSQL (CI, `make test-pg`) the fast path is the server-bound INSERT and group commit."""

import pytest

from tests.fixtures.webhooks import meta_text_body
from urp_portal.gateway.models import OutboundMessage, WebhookEvent
from urp_portal.gateway.services import webhook_event_store
from urp_portal.gateway.services.outbox_statements import _claim, _record_sent
from urp_portal.gateway.states import OutboundState


@pytest.fixture(params=[True, False], ids=["fast", "plain"])
def path(request, settings):
    settings.URP_DATABASE_FAST_PATHS = request.param
    return request.param


@pytest.mark.django_db(transaction=True)
def test_a_webhook_body_is_stored_once_and_a_repeat_finds_it(path):
    body = meta_text_body(wamid="wamid.fast1", sender="+393330000001", text="Ciao", timestamp=1)

    first, created = webhook_event_store(gateway="meta", body=body, content_type="application/json")
    again, created_again = webhook_event_store(
        gateway="meta", body=body, content_type="application/json"
    )

    assert (created, created_again) == (True, False)
    assert again.pk == first.pk
    assert WebhookEvent.objects.get().body == body


@pytest.mark.django_db
def test_a_rejected_body_is_kept_on_either_path(path):
    event, created = webhook_event_store(
        gateway="meta", body=b"not json", content_type="text/plain", rejected_because="not json"
    )

    assert created
    assert WebhookEvent.objects.get(pk=event.pk).state == WebhookEvent.State.REJECTED


@pytest.mark.django_db
def test_a_send_is_claimed_once_then_recorded_sent(path):
    message = OutboundMessage.objects.create(to="+393330000001", purpose="reply", text="Salve")
    twin = OutboundMessage.objects.get(pk=message.pk)

    assert _claim(message) is True
    assert _claim(twin) is False
    _record_sent(message.pk, provider_id="wamid.sent1")

    stored = OutboundMessage.objects.get(pk=message.pk)
    assert (stored.state, stored.provider_id, stored.attempts) == (
        OutboundState.SENT,
        "wamid.sent1",
        1,
    )
    assert stored.sent_at is not None and stored.sending_started_at is not None
    assert stored.not_before is None and not stored.needs_review
