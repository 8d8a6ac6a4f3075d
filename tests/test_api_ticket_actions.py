"""The tickets' writes through the API: the URP's actions (reply, template, forward, resolve,
assign) and a municipal service's system answering, each with its permission boundary. The
reads are in test_api_tickets."""

import datetime as dt

import pytest
from django.utils import timezone

from tests.fixtures.tickets_api import forwarded_to, url
from tickets.models import Forward, Message, TicketEvent
from tickets.states import MessageOrigin, TicketEventKind, TicketState
from tickets.tests.factories import TicketFactory, operator
from urp_portal.accounts.roles import Role
from urp_portal.accounts.tests.factories import (
    UserFactory,
    client_with_key,
    make_api_token,
    token_client,
)
from urp_portal.gateway.models import OutboundMessage

pytestmark = pytest.mark.django_db

# --- the URP's actions --------------------------------------------------------------------------


def test_an_operators_token_replies_and_the_chat_says_which_system_wrote(municipality):
    ticket = TicketFactory()
    _token, key = make_api_token(Role.OPERATOR, name="Protocollo")

    response = client_with_key(key).post(url(ticket, "reply"), {"text": "Ecco gli orari"})

    assert response.status_code == 200
    body = response.json()
    assert body["state"] == "open"
    assert body["assignee"] is None  # a system answers without taking the ticket
    last = body["messages"][-1]
    assert (last["origin"], last["text"], last["author"]) == (
        "operator",
        "Ecco gli orari",
        "API: Protocollo",
    )
    assert last["delivery"] == "queued"
    outbound = OutboundMessage.objects.get(to=ticket.subscriber.number)
    assert outbound.text == "Ecco gli orari"
    event = TicketEvent.objects.filter(ticket=ticket, kind=TicketEventKind.STATE).last()
    assert (event.actor, event.actor_label) == (None, "API: Protocollo")


def _approved_template(name="risposta_urp", **kwargs):
    from broadcasts.tests.factories import MessageTemplateFactory

    return MessageTemplateFactory(name=name, body="Gentile {{1}}, pratica {{2}}.", **kwargs)


def test_after_24_hours_a_reply_needs_a_template(operator_api, municipality):
    _approved_template()
    ticket = TicketFactory(subscriber__last_inbound_at=timezone.now() - dt.timedelta(hours=25))

    refused = operator_api.post(url(ticket, "reply"), {"text": "Ecco gli orari"})
    sent = operator_api.post(
        url(ticket, "reply"), {"template": "risposta_urp", "parameters": ["Anna", "#12"]}
    )

    assert (refused.status_code, refused.json()["code"]) == (400, "window_closed")
    assert sent.status_code == 200
    outbound = OutboundMessage.objects.get(to=ticket.subscriber.number)
    assert (outbound.template_name, outbound.template_parameters) == (
        "risposta_urp",
        ["Anna", "#12"],
    )


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"template": "sconosciuto", "parameters": ["Anna", "#12"]}, "template_unknown"),
        ({"template": "in_revisione", "parameters": ["Anna", "#12"]}, "template_not_approved"),
        ({"template": "risposta_urp", "parameters": ["Anna"]}, "template_parameter_missing"),
        (
            {"template": "risposta_urp", "parameters": ["Anna", "#1", "x"]},
            "template_parameter_extra",
        ),
        (
            {"template": "risposta_urp", "parameters": ["Anna\nRossi", "#1"]},
            "template_parameter_format",
        ),
    ],
)
def test_an_unknown_unapproved_or_wrongly_filled_template_is_refused_with_400(
    operator_api, municipality, body, code
):
    from broadcasts.states import TemplateApproval

    _approved_template()
    _approved_template(name="in_revisione", approval_status=TemplateApproval.PENDING)
    ticket = TicketFactory(subscriber__last_inbound_at=timezone.now() - dt.timedelta(hours=25))

    response = operator_api.post(url(ticket, "reply"), body, format="json")

    assert (response.status_code, response.json()["code"]) == (400, code)
    assert response.json()["message"]
    assert not OutboundMessage.objects.filter(to=ticket.subscriber.number).exists()


@pytest.mark.parametrize(
    "body",
    [{}, {"text": "  "}, {"text": "Ciao", "template": "risposta_urp"}, {"text": 12}, []],
)
def test_a_reply_is_text_or_a_template(operator_api, body):
    ticket = TicketFactory()

    response = operator_api.post(url(ticket, "reply"), body, format="json")

    assert (response.status_code, response.json()["code"]) == (400, "invalid")
    assert not Message.objects.filter(ticket=ticket, origin=MessageOrigin.OPERATOR).exists()


def test_a_retried_reply_with_the_same_idempotency_key_is_sent_once(operator_api, municipality):
    ticket = TicketFactory()

    first = operator_api.post(url(ticket, "reply"), {"text": "Ciao"}, HTTP_IDEMPOTENCY_KEY="r-1")
    again = operator_api.post(url(ticket, "reply"), {"text": "Ciao"}, HTTP_IDEMPOTENCY_KEY="r-1")

    assert first.status_code == again.status_code == 200
    assert again["Idempotent-Replayed"] == "true"
    assert OutboundMessage.objects.filter(to=ticket.subscriber.number).count() == 1


def test_an_operators_token_forwards_to_a_service_by_slug(operator_api):
    ticket = TicketFactory()

    response = operator_api.post(url(ticket, "forward"), {"service": "tributi", "note": "TARI"})

    assert response.status_code == 200
    assert (response.json()["state"], response.json()["service"]) == ("forwarded", "tributi")
    forward = Forward.objects.get(ticket=ticket)
    assert (forward.service.slug, forward.note, forward.by) == ("tributi", "TARI", None)
    # From now on the service's own system sees it.
    tributi = token_client(Role.SERVICE, service_slug="tributi")
    assert tributi.get(url(ticket)).status_code == 200


def test_forwarding_to_an_unknown_service_is_400(operator_api):
    ticket = TicketFactory()

    response = operator_api.post(url(ticket, "forward"), {"service": "pompe-funebri"})

    assert response.status_code == 400
    assert "service" in response.json()["details"]


def test_an_operators_token_resolves_once(operator_api):
    ticket = TicketFactory(state=TicketState.OPEN)

    first = operator_api.post(url(ticket, "resolve"), {})
    second = operator_api.post(url(ticket, "resolve"), {})

    assert (first.status_code, first.json()["state"]) == (200, "resolved")
    assert first.json()["resolved_at"] is not None
    assert (second.status_code, second.json()["code"]) == (400, "invalid_transition")


def test_an_operators_token_assigns_to_an_operator_and_takes_it_back(operator_api):
    ticket = TicketFactory()
    colleague = operator(username="m.rossi")

    given = operator_api.post(url(ticket, "assign"), {"assignee": "m.rossi"})
    taken = operator_api.post(url(ticket, "assign"), {"assignee": None})

    assert (given.json()["assignee"], given.json()["state"]) == ("m.rossi", "open")
    assert taken.json()["assignee"] is None
    ticket.refresh_from_db()
    assert ticket.assignee is None and colleague.pk


@pytest.mark.parametrize("username", ["nessuno", "cittadino-qualsiasi"])
def test_only_an_urp_operator_can_be_assigned(operator_api, username):
    UserFactory(username="cittadino-qualsiasi")
    ticket = TicketFactory()

    response = operator_api.post(url(ticket, "assign"), {"assignee": username})

    assert (response.status_code, response.json()["code"]) == (400, "unknown_assignee")


# --- a municipal service's system ---------------------------------------------------------------


def test_a_services_token_answers_the_urp_not_the_citizen(municipality):
    ticket = forwarded_to("tributi")
    _token, key = make_api_token(Role.SERVICE, service_slug="tributi", name="Gestionale tributi")

    response = client_with_key(key).post(url(ticket, "reply"), {"text": "Scade il 16 maggio."})

    assert response.status_code == 200
    assert response.json()["state"] == "answered_by_service"
    forward = Forward.objects.get(ticket=ticket)
    assert (forward.answer, forward.answered_by) == ("Scade il 16 maggio.", None)
    answer = Message.objects.get(ticket=ticket, origin=MessageOrigin.SERVICE)
    assert (answer.author_label, answer.outbound) == ("API: Gestionale tributi", None)
    assert not OutboundMessage.objects.filter(to=ticket.subscriber.number).exists()


def test_a_services_token_answers_with_text_not_a_template(municipality):
    ticket = forwarded_to("tributi")

    response = token_client(Role.SERVICE, service_slug="tributi").post(
        url(ticket, "reply"), {"template": "risposta_urp"}
    )

    assert (response.status_code, response.json()["code"]) == (400, "service_answers_with_text")


@pytest.mark.parametrize(
    ("action", "body"),
    [("forward", {"service": "anagrafe"}), ("resolve", {}), ("assign", {"assignee": None})],
)
def test_a_services_token_cannot_forward_resolve_or_assign(action, body):
    ticket = forwarded_to("tributi")

    response = token_client(Role.SERVICE, service_slug="tributi").post(url(ticket, action), body)

    assert (response.status_code, response.json()["code"]) == (403, "role_not_allowed")
    ticket.refresh_from_db()
    assert ticket.state == TicketState.FORWARDED
