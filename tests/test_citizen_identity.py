"""One citizen however WhatsApp names them (issue #19): a citizen known only by a
business-scoped user id (BSUID) subscribes, receives a broadcast sent with `recipient`,
unsubscribes and is erased; a payload naming both links them; a number change keeps one
citizen and one conversation; WhatsApp's own marketing stop skips marketing campaigns, not
alerts. Everything through the signed webhook and the fake Graph API's log."""

from __future__ import annotations

import datetime as dt
import itertools
import json
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from broadcasts import services as broadcast_services
from broadcasts.selectors import audience_recipients
from broadcasts.services import fanout
from broadcasts.states import Audience, CampaignState
from broadcasts.tests.factories import CampaignFactory, MessageTemplateFactory, UserFactory
from subscribers.models import ConsentRecord, Subscriber
from subscribers.states import ConsentChannel, ConsentKind, SubscriberStatus
from tests.fixtures.webhooks import cloud_api_fixture
from tickets.models import Message, Ticket
from urp_portal.accounts.roles import Role
from urp_portal.audit.models import AuditEvent
from urp_portal.gateway.models import InboundMessage, OutboundMessage, WebhookEvent

# A Tuesday morning: no quiet hours, no out-of-hours answers.
MORNING = dt.datetime(2026, 12, 1, 10, 0, tzinfo=ZoneInfo("Europe/Rome"))
BSUID = "IT.1502576394655843"
NUMBER = "+393000000101"
_ids = itertools.count(1)


def bsuid_message(text: str, *, user_id: str = BSUID, number: str = "") -> bytes:
    """A text as Meta sends it from a citizen with a username: `from_user_id` always, `from`
    and `wa_id` only when the citizen shares the number."""
    contact = {"profile": {"name": "Bonaria", "username": "@bonaria.cagliari"}, "user_id": user_id}
    message = {
        "from_user_id": user_id,
        "id": f"wamid.BSUID{next(_ids)}",
        "timestamp": str(int(timezone.now().timestamp())),
        "type": "text",
        "text": {"body": text},
    }
    if number:
        contact["wa_id"] = message["from"] = number.lstrip("+")
    value = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "390700000000", "phone_number_id": "1122334455667"},
        "contacts": [contact],
        "messages": [message],
    }
    return json.dumps(
        {
            "object": "whatsapp_business_account",
            "entry": [{"id": "1", "changes": [{"field": "messages", "value": value}]}],
        }
    ).encode()


def sent_to_bsuid(graph) -> list[dict]:
    return [r.json for r in graph.sent_messages() if (r.json or {}).get("recipient") == BSUID]


def status_body(wamid: str, status: str) -> bytes:
    """A status naming the recipient by BSUID alone (`recipient_user_id`, no `recipient_id`)."""
    value = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "390700000000", "phone_number_id": "1122334455667"},
        "statuses": [
            {
                "id": wamid,
                "status": status,
                "timestamp": str(int(timezone.now().timestamp())),
                "recipient_user_id": BSUID,
            }
        ],
    }
    return json.dumps(
        {
            "object": "whatsapp_business_account",
            "entry": [{"id": "1", "changes": [{"field": "messages", "value": value}]}],
        }
    ).encode()


@time_machine.travel(MORNING, tick=False)
def test_a_citizen_known_only_by_bsuid_subscribes_receives_a_broadcast_leaves_and_is_erased(
    whatsapp, municipality, django_capture_on_commit_callbacks, monkeypatch
):
    monkeypatch.setattr(fanout, "enqueue_send_batch", lambda campaign_id, **kwargs: None)

    whatsapp.post(bsuid_message("Iscrivimi"))

    subscriber = Subscriber.objects.get()
    assert (subscriber.number, subscriber.wa_user_id) == (BSUID, BSUID)
    assert subscriber.wa_username == "@bonaria.cagliari"
    assert subscriber.status == SubscriberStatus.SUBSCRIBED
    welcome = sent_to_bsuid(whatsapp.graph)
    assert welcome and all("to" not in payload for payload in welcome)
    assert welcome[0]["text"]["body"] == municipality.welcome_text

    campaign = CampaignFactory(state=CampaignState.APPROVED)
    broadcast_services.campaign_start(
        campaign_id=campaign.pk, actor=UserFactory(roles=[Role.COMMUNICATIONS])
    )
    with django_capture_on_commit_callbacks(execute=True):
        broadcast_services.campaign_send_next_batch(campaign_id=campaign.pk)
    [broadcast] = [p for p in sent_to_bsuid(whatsapp.graph) if p["type"] == "template"]
    assert broadcast["template"]["name"] == campaign.template.name
    assert "to" not in broadcast

    delivery = OutboundMessage.objects.get(template_name=campaign.template.name)
    whatsapp.post(status_body(delivery.provider_id, "delivered"))
    delivery.refresh_from_db()
    assert delivery.state == "delivered"

    whatsapp.post(bsuid_message("Cancellami"))

    subscriber.refresh_from_db()
    assert subscriber.status == SubscriberStatus.ANONYMISED
    assert (subscriber.number, subscriber.wa_user_id, subscriber.wa_username) == (None, "", "")
    assert not InboundMessage.objects.filter(sender=BSUID).exists()
    assert not InboundMessage.objects.filter(sender_user_id=BSUID).exists()
    assert not [e.pk for e in WebhookEvent.objects.all() if BSUID.encode() in bytes(e.body)]
    assert not OutboundMessage.objects.filter(to=BSUID).exclude(purpose="unsubscribed").exists()
    kinds = list(ConsentRecord.objects.values_list("kind", flat=True))
    assert kinds[-2:] == [ConsentKind.BROADCAST_OPT_OUT, ConsentKind.ERASURE]


@time_machine.travel(MORNING, tick=False)
def test_a_payload_naming_number_and_bsuid_links_them_on_one_citizen(whatsapp, municipality):
    whatsapp.post(bsuid_message("Buongiorno, una domanda"))
    first = Subscriber.objects.get()

    whatsapp.post(bsuid_message("Il mio numero è questo", number=NUMBER))

    assert Subscriber.objects.count() == 1
    first.refresh_from_db()
    assert (first.number, first.wa_user_id) == (NUMBER, BSUID)
    assert Ticket.objects.count() == 1
    # Later replies go to the number, in `to`.
    replies_to_number = [r for r in whatsapp.graph.sent_messages() if r.to == NUMBER]
    assert all("recipient" not in r.json for r in replies_to_number)


@time_machine.travel(MORNING, tick=False)
def test_a_number_change_keeps_one_citizen_and_one_conversation(whatsapp, municipality):
    citizen = whatsapp.citizen(NUMBER, name="Lucia Fenu")
    citizen.says("Iscrivimi")
    citizen.says("Quando riapre la biblioteca?")
    subscriber = Subscriber.objects.get()
    [ticket] = Ticket.objects.all()

    whatsapp.post(cloud_api_fixture("system_user_changed_number.json"))

    subscriber.refresh_from_db()
    assert subscriber.number == "+393000000303"
    assert subscriber.wa_user_id == "IT.2000000000000303"
    assert subscriber.status == SubscriberStatus.SUBSCRIBED
    assert Ticket.objects.count() == 1
    assert not Message.objects.filter(inbound__kind="system").exists()
    change = ConsentRecord.objects.filter(kind=ConsentKind.IDENTITY_CHANGE).get()
    assert (change.subscriber_id, change.channel) == (subscriber.pk, ConsentChannel.WHATSAPP)
    assert change.inbound_text == ""  # the notice names both numbers: not in the ledger
    audit = AuditEvent.objects.get(action="identity_changed")
    assert audit.target_id == str(subscriber.pk)
    assert "393000000" not in json.dumps(audit.details) + audit.target_repr

    moved = whatsapp.citizen("+393000000303", name="Lucia Fenu")
    moved.says("Sono sempre io, col numero nuovo")

    assert Subscriber.objects.count() == 1
    assert Ticket.objects.get().pk == ticket.pk
    assert ticket.messages.filter(text="Sono sempre io, col numero nuovo").exists()


def test_the_admin_finds_a_citizen_by_username(admin_client, db):
    Subscriber.objects.create(number=BSUID, wa_user_id=BSUID, wa_username="@bonaria.cagliari")
    Subscriber.objects.create(number="+393000000999")

    page = admin_client.get("/admin/subscribers/subscriber/", {"q": "bonaria"})

    assert page.status_code == 200
    assert list(page.context["cl"].result_list.values_list("number", flat=True)) == [BSUID]


@pytest.mark.parametrize("alert", [False, True])
@time_machine.travel(MORNING, tick=False)
def test_whatsapps_marketing_stop_skips_marketing_campaigns_but_not_alerts(
    whatsapp, municipality, django_capture_on_commit_callbacks, monkeypatch, alert
):
    monkeypatch.setattr(fanout, "enqueue_send_batch", lambda campaign_id, **kwargs: None)
    stopper = whatsapp.citizen(NUMBER)
    other = whatsapp.citizen("+393000000202")
    stopper.says("Iscrivimi")
    other.says("Iscrivimi")

    whatsapp.post(cloud_api_fixture("user_preferences_stop.json"))

    subscriber = Subscriber.objects.get(number=NUMBER)
    assert subscriber.marketing_stopped_at is not None
    stop = ConsentRecord.objects.get(kind=ConsentKind.MARKETING_STOP)
    assert (stop.subscriber_id, stop.channel) == (subscriber.pk, ConsentChannel.WHATSAPP)
    assert Ticket.objects.count() == 0

    template = MessageTemplateFactory(category="utility" if alert else "marketing")
    campaign = CampaignFactory(state=CampaignState.APPROVED, template=template, is_emergency=alert)
    broadcast_services.campaign_start(
        campaign_id=campaign.pk, actor=UserFactory(roles=[Role.COMMUNICATIONS])
    )
    with django_capture_on_commit_callbacks(execute=True):
        broadcast_services.campaign_send_next_batch(campaign_id=campaign.pk)

    sent = f"[modello {template.name}]"
    assert sent in other.received
    assert (sent in stopper.received) is alert


@time_machine.travel(MORNING, tick=False)
def test_a_marketing_resume_is_recorded_and_marketing_reaches_the_citizen_again(
    whatsapp, municipality
):
    whatsapp.citizen(NUMBER).says("Iscrivimi")
    whatsapp.post(cloud_api_fixture("user_preferences_stop.json"))
    whatsapp.post(cloud_api_fixture("user_preferences_resume.json"))
    whatsapp.post(cloud_api_fixture("user_preferences_resume.json"))  # delivered twice

    subscriber = Subscriber.objects.get()
    assert subscriber.marketing_stopped_at is None
    assert list(
        ConsentRecord.objects.filter(kind__in=[ConsentKind.MARKETING_STOP, "mkt_resume"])
        .order_by("pk")
        .values_list("kind", flat=True)
    ) == [ConsentKind.MARKETING_STOP, ConsentKind.MARKETING_RESUME]
    assert (
        audience_recipients(audience=Audience.ALL_SUBSCRIBED, marketing=True)
        .filter(pk=subscriber.pk)
        .exists()
    )


@time_machine.travel(MORNING, tick=False)
def test_the_operator_sees_a_bsuid_citizens_username_and_answers_them_by_recipient(
    whatsapp, municipality
):
    from django.test import Client
    from django.urls import reverse

    from tickets import services as ticket_services
    from tickets.tests.factories import operator

    whatsapp.post(bsuid_message("La strada è allagata"))
    ticket = Ticket.objects.get()
    user = operator()
    browser = Client()
    browser.force_login(user)

    page = browser.get(reverse("admin:tickets_ticket_conversation", args=[ticket.pk]))
    whatsapp.deliver(
        lambda: ticket_services.ticket_reply(
            ticket=ticket, text="Mandiamo una squadra.", actor=user
        )
    )

    assert "@bonaria.cagliari" in page.content.decode()
    [reply] = [
        p for p in sent_to_bsuid(whatsapp.graph) if p["text"]["body"] == "Mandiamo una squadra."
    ]
    assert "to" not in reply
