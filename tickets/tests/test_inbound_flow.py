"""A citizen's messages through the real inbound pipeline: tickets, deadlines, automatic replies."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from tickets.models import Message, Ticket, TicketEvent
from tickets.states import MessageOrigin, TicketState
from urp_portal.gateway.states import MessageKind
from urp_portal.municipality.services import municipality_load_preset

CITIZEN = "+393331234567"


def test_a_message_in_office_hours_opens_a_ticket_with_no_automatic_reply(
    municipality, receive, outbox, rome
):
    inbound = receive(CITIZEN, "Buongiorno, quando scade la TARI?", at=rome(2026, 11, 23, 10, 0))

    ticket = Ticket.objects.get()
    assert ticket.state == TicketState.NEW
    assert ticket.subscriber.number == CITIZEN
    assert ticket.opened_out_of_hours is False
    message = Message.objects.get(ticket=ticket)
    assert (message.origin, message.text, message.inbound) == (
        MessageOrigin.CITIZEN,
        "Buongiorno, quando scade la TARI?",
        inbound,
    )
    # Only Cagliari's privacy notice at first contact (issue #22), no automatic answer.
    assert [m.purpose for m in outbox(CITIZEN)] == ["first_contact_notice"]
    assert inbound.handled_by == ""
    assert TicketEvent.objects.get(ticket=ticket).to_state == TicketState.NEW


def test_a_second_message_joins_the_open_ticket_and_keeps_the_order(municipality, receive, rome):
    receive(CITIZEN, "Prima domanda", at=rome(2026, 11, 23, 10, 0))
    receive(CITIZEN, "", kind=MessageKind.VOICE, at=rome(2026, 11, 23, 10, 5))

    ticket = Ticket.objects.get()
    assert [m.kind for m in ticket.messages.all()] == [MessageKind.TEXT, MessageKind.VOICE]
    assert ticket.messages.last().inbound.kind == MessageKind.VOICE


def test_a_message_after_the_ticket_is_resolved_opens_a_new_one(municipality, receive, rome):
    receive(CITIZEN, "Prima richiesta", at=rome(2026, 11, 23, 10, 0))
    Ticket.objects.update(state=TicketState.RESOLVED)

    receive(CITIZEN, "Altra richiesta", at=rome(2026, 11, 23, 11, 0))

    assert Ticket.objects.count() == 2
    assert Ticket.objects.exclude(state=TicketState.RESOLVED).get().messages.get().text == (
        "Altra richiesta"
    )


# Monday morning, office hours: no out-of-hours reply in the way.
@time_machine.travel(dt.datetime(2026, 11, 23, 10, 0, tzinfo=ZoneInfo("Europe/Rome")))
def test_running_the_pipeline_twice_keeps_one_message(municipality, receive, rome):
    from urp_portal.gateway.models import InboundMessage
    from urp_portal.gateway.pipeline import inbound_message_run_pipeline
    from urp_portal.gateway.states import InboundState

    inbound = receive(CITIZEN, "Ciao", at=rome(2026, 11, 23, 10, 0))
    InboundMessage.objects.filter(pk=inbound.pk).update(state=InboundState.RECEIVED)

    inbound_message_run_pipeline(message_id=inbound.pk)

    assert Message.objects.count() == 1


def test_a_weekend_gets_one_out_of_hours_reply_naming_monday(municipality, receive, outbox, rome):
    receive(CITIZEN, "Venerdì pomeriggio", at=rome(2026, 11, 20, 13, 0))
    receive(CITIZEN, "Sabato", at=rome(2026, 11, 21, 10, 0))
    receive(CITIZEN, "Domenica sera", at=rome(2026, 11, 22, 20, 0))

    replies = outbox(CITIZEN, purpose="out_of_hours")
    assert len(replies) == 1
    assert "riapertura, lunedì 23 alle 9:00" in replies[0].text
    assert "dal lunedì al venerdì 9:00-12:00; lunedì e giovedì 15:30-17:30" in replies[0].text
    assert Ticket.objects.get().opened_out_of_hours is True
    # The automatic reply shows in the chat, after the message that caused it.
    assert [m.origin for m in Ticket.objects.get().messages.all()] == [
        MessageOrigin.CITIZEN,
        MessageOrigin.AUTOMATIC,
        MessageOrigin.CITIZEN,
        MessageOrigin.CITIZEN,
    ]


def test_each_closed_period_gets_its_own_reply(municipality, receive, outbox, rome):
    receive(CITIZEN, "Domenica", at=rome(2026, 11, 22, 20, 0))
    receive(CITIZEN, "Lunedì mattina, aperto", at=rome(2026, 11, 23, 10, 0))
    receive(CITIZEN, "Lunedì all'ora di pranzo", at=rome(2026, 11, 23, 13, 0))
    receive(CITIZEN, "Lunedì, ancora a pranzo", at=rome(2026, 11, 23, 14, 0))

    texts = [m.text for m in outbox(CITIZEN, purpose="out_of_hours")]
    assert len(texts) == 2
    assert "domani alle 9:00" in texts[0]
    assert "oggi alle 15:30" in texts[1]


def test_a_public_holiday_is_part_of_the_closed_period(municipality, receive, outbox, rome):
    # Tuesday 8 December 2026 is the Immacolata: Monday evening to Wednesday morning is one period.
    receive(CITIZEN, "Lunedì sera", at=rome(2026, 12, 7, 18, 0))
    receive(CITIZEN, "Il giorno dell'Immacolata", at=rome(2026, 12, 8, 10, 0))

    replies = outbox(CITIZEN, purpose="out_of_hours")
    assert len(replies) == 1
    assert "mercoledì 9 alle 9:00" in replies[0].text


def test_cagliari_patron_saint_day_closes_the_urp(municipality, receive, outbox, rome):
    # Friday 30 October 2026 is San Saturnino (province CA): closed, so is the weekend.
    receive(CITIZEN, "Giovedì sera", at=rome(2026, 10, 29, 18, 0))
    receive(CITIZEN, "Venerdì mattina, festa patronale", at=rome(2026, 10, 30, 10, 0))

    replies = outbox(CITIZEN, purpose="out_of_hours")
    assert len(replies) == 1
    assert "lunedì 2 alle 9:00" in replies[0].text


@pytest.mark.parametrize(
    ("received", "due"),
    [
        # Friday: Monday and Tuesday are the two working days.
        ((2026, 11, 20, 10, 0), (2026, 11, 24)),
        # Monday before the Immacolata (Tuesday): Wednesday and Thursday.
        ((2026, 12, 7, 10, 0), (2026, 12, 10)),
        # Thursday before San Saturnino (Friday 30/10): Monday 2 and Tuesday 3 November.
        ((2026, 10, 29, 10, 0), (2026, 11, 3)),
        # Christmas Eve (Thursday): 25 and 26 are holidays, then the weekend.
        ((2026, 12, 24, 10, 0), (2026, 12, 29)),
    ],
)
def test_the_deadline_lands_on_the_right_working_day(municipality, receive, rome, received, due):
    receive(CITIZEN, "Richiesta", at=rome(*received))

    due_at = Ticket.objects.get().due_at
    assert due_at == rome(*due, 23, 59, 59)


def test_a_broadcast_only_number_answers_with_the_other_channels_and_opens_no_ticket(
    db, receive, outbox, rome
):
    san_giuliano = municipality_load_preset(slug="san_giuliano")

    inbound = receive(CITIZEN, "Vorrei segnalare una buca", at=rome(2026, 11, 23, 10, 0))

    assert Ticket.objects.count() == 0
    (reply,) = outbox(CITIZEN)
    assert reply.purpose == "broadcast_only"
    assert reply.text.startswith(san_giuliano.broadcast_only_text[:30])
    assert inbound.handled_by == "tickets.inbound.accepted_here"


def test_a_text_only_desk_answers_a_photo_and_opens_no_ticket(db, receive, outbox, rome):
    ancona = municipality_load_preset(slug="ancona")

    receive(CITIZEN, "", kind=MessageKind.IMAGE, at=rome(2026, 11, 23, 10, 0))

    assert Ticket.objects.count() == 0
    (reply,) = outbox(CITIZEN)
    assert (reply.purpose, reply.text) == ("media_not_accepted", ancona.media_not_accepted_text)


def test_a_text_only_desk_takes_text(db, receive, outbox, rome):
    municipality_load_preset(slug="ancona")

    receive(CITIZEN, "Orari dell'anagrafe?", at=rome(2026, 11, 23, 10, 0))

    assert Ticket.objects.get().messages.get().text == "Orari dell'anagrafe?"
    assert outbox(CITIZEN, purpose="media_not_accepted") == []


def test_first_contact_text_goes_with_the_first_ticket_only(db, receive, outbox, rome):
    assemini = municipality_load_preset(slug="assemini")
    # Identity questions come first at Assemini (subscribers' tests cover them); this is about
    # the invitation that goes with the first ticket.
    assemini.identity_required = False
    assemini.save(update_fields=["identity_required"])

    receive(CITIZEN, "Buongiorno", at=rome(2026, 11, 23, 10, 0))
    Ticket.objects.update(state=TicketState.RESOLVED)
    receive(CITIZEN, "Di nuovo", at=rome(2026, 11, 23, 11, 0))

    (first,) = outbox(CITIZEN, purpose="first_contact")
    assert first.text == assemini.first_contact_text
