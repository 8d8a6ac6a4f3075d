"""The console as services' staff see it: only the tickets forwarded to their service, their
answer back to the URP, internal notes; and a user without a role sees no ticket."""

from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

from tickets import services
from tickets.models import Ticket
from tickets.states import TicketState
from tickets.tests.factories import (
    MessageFactory,
    MunicipalServiceFactory,
    TicketFactory,
    operator,
    service_staff,
)
from tickets.tests.test_console import conversation_url
from urp_portal.gateway.models import InboundMessage, OutboundMessage
from urp_portal.gateway.states import MessageKind

CITIZEN = "+393331234567"


def _forwarded_ticket(service, by, text="Buca in via Roma"):
    ticket = TicketFactory()
    MessageFactory(ticket=ticket, text=text)
    services.ticket_forward(
        ticket=ticket, service=service, note="Competenza vostra", actor=by, site_url="http://t/"
    )
    return ticket


def test_service_staff_see_only_the_tickets_forwarded_to_their_service(client, municipality):
    urp_user = operator()
    roads, taxes = MunicipalServiceFactory(), MunicipalServiceFactory()
    mine = _forwarded_ticket(roads, urp_user)
    theirs = _forwarded_ticket(taxes, urp_user)
    never_forwarded = TicketFactory()
    inbound = InboundMessage.objects.create(
        provider_id="wamid.photo", sender=CITIZEN, sent_at=timezone.now(), kind=MessageKind.IMAGE
    )
    inbound.media_file.save("buca.jpg", ContentFile(b"\xff\xd8\xff fake"), save=True)
    photo = MessageFactory(ticket=theirs, kind=MessageKind.IMAGE, inbound=inbound)
    staff = service_staff(roads)
    client.force_login(staff)

    listed = client.get(reverse("admin:tickets_ticket_changelist"))
    own_page = client.get(conversation_url(mine))

    assert [t.pk for t in listed.context["cl"].result_list] == [mine.pk]
    assert own_page.status_code == 200
    assert client.get(conversation_url(theirs)).status_code == 404
    assert client.get(conversation_url(never_forwarded)).status_code == 404
    assert client.get(reverse("tickets:media", args=[photo.pk])).status_code == 404
    other_link = reverse("tickets:forward_link", args=[theirs.forwards.get().token])
    assert client.get(other_link).status_code == 404
    own_link = reverse("tickets:forward_link", args=[mine.forwards.get().token])
    assert client.get(own_link).url == conversation_url(mine)
    change_url = reverse("admin:tickets_ticket_change", args=[theirs.pk])
    assert client.get(change_url, follow=True).status_code == 404


def test_service_staff_answer_and_the_answer_returns_to_the_urp(client, municipality):
    roads = MunicipalServiceFactory()
    ticket = _forwarded_ticket(roads, operator())
    staff = service_staff(roads)
    client.force_login(staff)

    response = client.post(
        conversation_url(ticket), {"op": "service_answer", "answer": "Interverremo lunedì."}
    )

    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.state == TicketState.ANSWERED_BY_SERVICE
    assert ticket.forwards.get().answer == "Interverremo lunedì."
    assert not OutboundMessage.objects.filter(purpose="service_reply").exists()


def test_service_staff_cannot_reply_to_the_citizen_or_act_as_the_urp(client, municipality):
    roads = MunicipalServiceFactory()
    ticket = _forwarded_ticket(roads, operator())
    client.force_login(service_staff(roads))

    client.post(conversation_url(ticket), {"op": "reply", "text": "Ciao"})
    client.post(conversation_url(ticket), {"op": "resolve"})

    assert not OutboundMessage.objects.filter(purpose="reply").exists()
    assert Ticket.objects.get().state == TicketState.FORWARDED


def test_a_user_without_a_role_sees_no_ticket(client, municipality):
    from urp_portal.accounts.tests.factories import UserFactory

    ticket = TicketFactory()
    client.force_login(UserFactory())

    assert client.get(conversation_url(ticket)).status_code in (403, 404)
    assert client.get(reverse("admin:tickets_ticket_changelist")).status_code == 403


def test_service_staff_leave_an_internal_note_that_is_never_sent(client, municipality):
    roads = MunicipalServiceFactory()
    ticket = _forwarded_ticket(roads, operator())
    client.force_login(service_staff(roads))

    client.post(conversation_url(ticket), {"op": "note", "note": "Sopralluogo martedì"})

    note = ticket.messages.get(text="Sopralluogo martedì")
    assert note.outbound is None
    assert not OutboundMessage.objects.exists()
