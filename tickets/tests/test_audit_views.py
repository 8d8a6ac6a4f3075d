"""Who opened a conversation and who looked at a citizen's photo or voice note is recorded."""

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

from tickets.tests.factories import MessageFactory, TicketFactory, operator
from urp_portal.audit.models import AuditEvent
from urp_portal.audit.states import AuditAction, AuditChannel
from urp_portal.gateway.models import InboundMessage
from urp_portal.gateway.states import MessageKind

pytestmark = pytest.mark.django_db


@pytest.fixture
def urp(client, municipality):
    user = operator(username="giulia")
    client.force_login(user)
    return client


def _voice_note(ticket):
    inbound = InboundMessage.objects.create(
        provider_id=f"wamid.audit.{ticket.pk}",
        sender=ticket.subscriber.number,
        sent_at=timezone.now(),
        kind=MessageKind.VOICE,
        media_mime_type="audio/ogg",
    )
    inbound.media_file.save("voce.ogg", ContentFile(b"OggS0123456789"), save=True)
    return MessageFactory(ticket=ticket, text="", kind=MessageKind.VOICE, inbound=inbound)


def test_opening_a_conversation_records_who_from_where(urp):
    ticket = TicketFactory()

    response = urp.get(
        reverse("admin:tickets_ticket_conversation", args=[ticket.pk]),
        REMOTE_ADDR="10.0.0.7",
        HTTP_USER_AGENT="Firefox/140",
        HTTP_X_REQUEST_ID="abc-123",
    )

    assert response.status_code == 200
    event = AuditEvent.objects.get(action=AuditAction.CONVERSATION_VIEWED)
    assert (event.actor_label, event.target_type, event.target_id) == (
        "giulia",
        "tickets.ticket",
        str(ticket.pk),
    )
    assert (event.ip, event.user_agent, event.request_id, event.channel) == (
        "10.0.0.7",
        "Firefox/140",
        "abc-123",
        AuditChannel.CONSOLE,
    )


def test_a_conversation_the_user_may_not_see_records_nothing(client, municipality):
    from tickets.tests.factories import MunicipalServiceFactory, service_staff

    client.force_login(service_staff(MunicipalServiceFactory()))
    ticket = TicketFactory()

    response = client.get(reverse("admin:tickets_ticket_conversation", args=[ticket.pk]))

    assert response.status_code == 404
    assert not AuditEvent.objects.exists()


def test_a_media_file_is_recorded_once_per_viewing_not_per_range(urp):
    message = _voice_note(TicketFactory())
    url = reverse("tickets:media", args=[message.pk])

    urp.get(url, HTTP_RANGE="bytes=0-3")
    urp.get(url, HTTP_RANGE="bytes=4-9")
    urp.get(url, HTTP_RANGE="bytes=-4")

    events = AuditEvent.objects.filter(action=AuditAction.MEDIA_DOWNLOADED)
    assert events.count() == 1
    event = events.get()
    assert (event.target_type, event.target_id) == ("tickets.message", str(message.pk))
    assert event.details["ticket_id"] == message.ticket_id


def test_an_operator_resolving_a_ticket_is_in_the_trail_but_the_products_own_moves_are_not(
    municipality,
):
    from tickets import services
    from tickets.states import TicketState

    user = operator(username="paola")
    ticket = TicketFactory(state=TicketState.OPEN)

    services.ticket_resolve(ticket=ticket, actor=user)

    (event,) = AuditEvent.objects.filter(action=AuditAction.STATE_CHANGED)
    assert (event.actor_label, event.target_id) == ("paola", str(ticket.pk))
    assert event.details == {"from": "open", "to": "resolved"}


def test_a_media_file_is_never_stored_by_the_browser(urp):
    """An erased citizen's photo must not outlive the erasure in a staff browser's cache."""
    message = _voice_note(TicketFactory())
    url = reverse("tickets:media", args=[message.pk])

    whole = urp.get(url)
    part = urp.get(url, HTTP_RANGE="bytes=0-3")

    assert whole.status_code == 200 and part.status_code == 206
    assert whole["Cache-Control"] == "no-store"
    assert part["Cache-Control"] == "no-store"
