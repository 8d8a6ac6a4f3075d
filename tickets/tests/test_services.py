"""The operators' actions as services: the rules between the pages and the database."""

import datetime as dt

import pytest
import time_machine
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from subscribers.signals import erase_personal_data
from tickets import services
from tickets.models import Message, ServiceKeywordRule, Ticket, TicketEvent
from tickets.states import ClosingReason, MessageOrigin, TicketEventKind, TicketState
from tickets.tests.factories import (
    MessageFactory,
    MunicipalServiceFactory,
    TicketFactory,
    operator,
    service_staff,
)
from urp_portal.accounts.tests.factories import UserFactory
from urp_portal.gateway.models import InboundMessage, OutboundMessage
from urp_portal.gateway.states import MessageKind
from urp_portal.municipality.errors import UserError


@pytest.fixture
def urp_user(db):
    return operator()


def test_free_text_goes_out_within_the_24_hour_window(municipality, urp_user):
    ticket = TicketFactory(subscriber__last_inbound_at=timezone.now() - dt.timedelta(hours=23))

    message = services.ticket_reply(ticket=ticket, actor=urp_user, text="Ecco gli orari")

    assert (message.outbound.to, message.outbound.text) == (
        ticket.subscriber.number,
        "Ecco gli orari",
    )


def test_free_text_is_refused_after_24_hours_but_a_template_goes(municipality, urp_user):
    from broadcasts.tests.factories import MessageTemplateFactory

    MessageTemplateFactory(name="risposta_richiesta", body="Gentile {{1}}, pratica {{2}}.")
    ticket = TicketFactory(subscriber__last_inbound_at=timezone.now() - dt.timedelta(hours=25))

    with pytest.raises(UserError) as refused:
        services.ticket_reply(ticket=ticket, actor=urp_user, text="Ecco gli orari")
    message = services.ticket_reply(
        ticket=ticket,
        actor=urp_user,
        template_name="risposta_richiesta",
        template_parameters=["Anna", "#12"],
    )

    assert refused.value.code == "window_closed"
    outbound = message.outbound
    assert (outbound.template_name, outbound.template_parameters, outbound.text) == (
        "risposta_richiesta",
        ["Anna", "#12"],
        "",
    )


def test_a_template_with_an_image_header_is_sent_with_its_image(
    municipality, urp_user, settings, tmp_path
):
    from django.core.files.base import ContentFile

    from broadcasts.tests.factories import MessageTemplateFactory

    settings.MEDIA_ROOT = tmp_path
    template = MessageTemplateFactory(name="avviso_mercato", body="Il mercato {{1}}.")
    template.header_image.save("mercato.png", ContentFile(b"\x89PNG\r\n\x1a\n"), save=True)
    ticket = TicketFactory(subscriber__last_inbound_at=timezone.now() - dt.timedelta(hours=25))

    message = services.ticket_reply(
        ticket=ticket, actor=urp_user, template_name="avviso_mercato", template_parameters=["oggi"]
    )

    # Meta refuses a template with an image header sent without the image.
    assert message.outbound.media_file.name == template.header_image.name


def test_every_state_change_is_in_the_history_with_who_and_why(municipality, urp_user):
    ticket = TicketFactory()

    services.ticket_reply(
        ticket=ticket, actor=urp_user, text="Ci servono i dati", wait_for_citizen=True
    )
    services.ticket_resolve(ticket=ticket, actor=urp_user, reason="Fatto")

    moves = list(
        TicketEvent.objects.filter(ticket=ticket, kind=TicketEventKind.STATE).values_list(
            "from_state", "to_state", "actor", "reason"
        )
    )
    assert moves == [
        (TicketState.NEW, TicketState.WAITING_CITIZEN, urp_user.pk, "Risposta al cittadino."),
        (TicketState.WAITING_CITIZEN, TicketState.RESOLVED, urp_user.pk, "Fatto"),
    ]
    ticket.refresh_from_db()
    assert ticket.resolved_at is not None


def test_a_finished_ticket_does_not_move(municipality, urp_user):
    ticket = TicketFactory(state=TicketState.RESOLVED)

    with pytest.raises(UserError):
        services.ticket_resolve(ticket=ticket, actor=urp_user)
    with pytest.raises(UserError):
        services.ticket_reply(ticket=ticket, actor=urp_user, text="Ancora?")


def test_the_citizen_answering_reopens_a_ticket_waiting_for_them(
    municipality, urp_user, receive, rome
):
    receive("+393330000001", "Domanda", at=rome(2026, 11, 23, 10, 0))
    ticket = Ticket.objects.get()
    with time_machine.travel(rome(2026, 11, 23, 10, 5), tick=False):
        services.ticket_reply(ticket=ticket, actor=urp_user, text="Nome?", wait_for_citizen=True)

    receive("+393330000001", "Mario Rossi", at=rome(2026, 11, 23, 10, 10))

    ticket.refresh_from_db()
    assert ticket.state == TicketState.OPEN


def test_only_urp_staff_reply_assign_and_forward(municipality):
    ticket = TicketFactory()
    outsider = UserFactory()
    service = MunicipalServiceFactory()

    with pytest.raises(services.TicketNotAllowed):
        services.ticket_reply(ticket=ticket, actor=outsider, text="Ciao")
    with pytest.raises(services.TicketNotAllowed):
        services.ticket_assign(ticket=ticket, assignee=outsider, actor=outsider)
    with pytest.raises(services.TicketNotAllowed):
        services.ticket_forward(
            ticket=ticket, service=service, note="", actor=outsider, site_url="http://t/"
        )


def test_assigning_to_a_colleague_is_recorded(municipality, urp_user):
    colleague = operator(first_name="Paolo", last_name="Melis")
    ticket = TicketFactory()

    services.ticket_assign(ticket=ticket, assignee=colleague, actor=urp_user)

    ticket.refresh_from_db()
    assert (ticket.assignee, ticket.state) == (colleague, TicketState.OPEN)
    event = TicketEvent.objects.get(ticket=ticket, kind=TicketEventKind.ASSIGNED)
    assert event.reason == "Assegnata a Paolo Melis."


def test_closing_as_official_channel_sends_the_redirect_with_the_channels(db, urp_user):
    from urp_portal.municipality.services import municipality_load_preset

    assemini = municipality_load_preset(slug="assemini")
    ticket = TicketFactory()

    services.ticket_close_official_channel(ticket=ticket, actor=urp_user, municipality=assemini)

    ticket.refresh_from_db()
    assert (ticket.state, ticket.closing_reason) == (
        TicketState.CLOSED,
        ClosingReason.OFFICIAL_CHANNEL,
    )
    sent = OutboundMessage.objects.get(purpose="official_channel")
    assert "urp@comune.assemini.ca.it" in sent.text
    assert "{canali}" not in sent.text
    assert Message.objects.get(ticket=ticket).origin == MessageOrigin.AUTOMATIC


def test_a_service_answers_the_citizen_directly_only_where_the_comune_allows_it(
    municipality, urp_user
):
    roads = MunicipalServiceFactory()
    staff = service_staff(roads)
    ticket = TicketFactory()
    forward = services.ticket_forward(
        ticket=ticket, service=roads, note="", actor=urp_user, site_url="http://t/"
    )

    with pytest.raises(UserError):
        services.forward_answer(
            forward=forward,
            actor=staff,
            text="Risolto",
            municipality=municipality,
            send_to_citizen=True,
        )
    municipality.services_may_reply_directly = True
    services.forward_answer(
        forward=forward,
        actor=staff,
        text="Risolto",
        municipality=municipality,
        send_to_citizen=True,
    )

    sent = OutboundMessage.objects.get(purpose="service_reply")
    assert (sent.to, sent.text) == (ticket.subscriber.number, "Risolto")
    ticket.refresh_from_db()
    assert ticket.state == TicketState.ANSWERED_BY_SERVICE
    assert ticket.first_response_at is not None


def test_another_services_staff_cannot_answer_a_forward(municipality, urp_user):
    roads, taxes = MunicipalServiceFactory(), MunicipalServiceFactory()
    forward = services.ticket_forward(
        ticket=TicketFactory(), service=roads, note="", actor=urp_user, site_url="http://t/"
    )

    with pytest.raises(services.TicketNotAllowed):
        services.forward_answer(
            forward=forward, actor=service_staff(taxes), text="No", municipality=municipality
        )


def test_the_five_services_every_preset_needs_exist(db):
    from tickets.models import MunicipalService

    assert {
        "anagrafe",
        "tributi",
        "polizia-municipale",
        "lavori-pubblici",
        "servizi-sociali",
    } <= set(MunicipalService.objects.values_list("slug", flat=True))


def test_the_suggested_service_comes_from_rules_and_past_forwards(municipality, urp_user):
    taxes = MunicipalServiceFactory(name="Tributi locali")
    roads = MunicipalServiceFactory(name="Strade")
    ServiceKeywordRule.objects.create(service=roads, keyword="semaforo", weight=5)
    for _ in range(2):
        ticket = TicketFactory()
        MessageFactory(ticket=ticket, text="Pagamento della mensa scolastica")
        services.ticket_forward(
            ticket=ticket, service=taxes, note="", actor=urp_user, site_url="http://t/"
        )

    by_rule = services.service_suggestions(text="Il semaforo di via Roma è spento")
    learnt = services.service_suggestions(text="Non riesco a fare il pagamento della mensa")

    assert by_rule[0].service == roads
    assert "«semaforo» (regola)" in by_rule[0].reasons
    assert learnt[0].service == taxes
    assert any("pagamento" in reason for reason in learnt[0].reasons)


def test_the_deadline_warning_goes_once_per_ticket(municipality, mailoutbox, rome):
    colleague = operator(email="giulia@comune.example.it")
    mine = TicketFactory(
        state=TicketState.OPEN, assignee=colleague, due_at=rome(2026, 11, 24, 23, 59, 59)
    )
    TicketFactory(state=TicketState.OPEN, due_at=rome(2026, 11, 27, 23, 59, 59))
    TicketFactory(state=TicketState.RESOLVED, due_at=rome(2026, 11, 23, 23, 59, 59))

    with time_machine.travel(rome(2026, 11, 24, 8, 0), tick=False):
        first = _run_with_commit(services.tickets_warn_deadlines)
        second = _run_with_commit(services.tickets_warn_deadlines)

    assert (first, second) == (1, 0)
    (mail,) = mailoutbox
    assert mail.to == ["giulia@comune.example.it"]
    assert f"#{mine.pk}" in mail.subject
    assert TicketEvent.objects.filter(kind=TicketEventKind.DEADLINE_WARNING).count() == 1


def _run_with_commit(call):
    with _on_commit():
        return call()


def test_erasure_empties_the_citizens_texts_and_media(municipality, urp_user):
    ticket = TicketFactory()
    inbound = InboundMessage.objects.create(
        provider_id="wamid.erase",
        sender=ticket.subscriber.number,
        sent_at=timezone.now(),
        kind=MessageKind.IMAGE,
        text="Sono Mario Rossi, via Roma 3",
    )
    inbound.media_file.save("casa.jpg", ContentFile(b"\xff\xd8\xff"), save=True)
    path = inbound.media_file.name
    MessageFactory(ticket=ticket, inbound=inbound, text="Sono Mario Rossi, via Roma 3")
    services.ticket_reply(ticket=ticket, actor=urp_user, text="Gentile Mario, ...")

    with _on_commit():
        erase_personal_data.send(sender=None, subscriber=ticket.subscriber)

    assert set(Message.objects.values_list("text", flat=True)) == {""}
    inbound.refresh_from_db()
    assert (inbound.text, inbound.media_file.name) == ("", "")
    assert not default_storage.exists(path)


def _on_commit():
    from django.test import TestCase

    return TestCase.captureOnCommitCallbacks(execute=True)


def test_the_scheduler_runs_the_deadline_warnings(municipality, mailoutbox):
    from django.conf import settings

    from urp_portal.celery import app

    app.loader.import_default_modules()
    entry = settings.CELERY_BEAT_SCHEDULE["tickets-deadline-warnings"]
    task = app.tasks[entry["task"]]
    TicketFactory(state=TicketState.NEW, due_at=timezone.now() + dt.timedelta(hours=2))
    operator(email="turno@comune.example.it")

    with _on_commit():
        task()

    assert [m.to for m in mailoutbox] == [["turno@comune.example.it"]]
