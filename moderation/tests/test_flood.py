"""Issue 21, point 5: flood control through the real door (signed webhooks, the pipeline, the
fake Graph API's log of what the citizen received), and the moderation queue's page."""

import datetime as dt

import pytest
from django.urls import reverse

from broadcasts.models import Delivery
from broadcasts.services import campaign_start, fanout
from broadcasts.states import CampaignState, DeliveryState
from broadcasts.tests.factories import CampaignFactory
from moderation.models import Block, ScreeningFlag
from moderation.services import blocks_lapse
from subscribers.models import Subscriber
from subscribers.states import SubscriberStatus
from tickets.models import Message
from urp_portal.accounts.roles import Role
from urp_portal.accounts.tests.factories import UserFactory
from urp_portal.audit.models import AuditEvent
from urp_portal.audit.states import AuditAction
from urp_portal.gateway.models import InboundMessage, OutboundMessage

NUMBER = "+393489990001"
NOTICE = "Abbiamo ricevuto molti messaggi dal suo numero in poco tempo"


@pytest.fixture
def limits(settings):
    settings.URP_FLOOD_MAX_MESSAGES = 5
    settings.URP_FLOOD_WINDOW_SECONDS = 60
    settings.URP_FLOOD_LINKS_MESSAGES = 3
    settings.URP_FLOOD_BLOCK_MINUTES = 30


def test_a_flood_is_stored_answered_once_flagged_and_blocked_for_a_while(
    whatsapp, municipality, office_hours, limits
):
    citizen = whatsapp.citizen(NUMBER, name="Ugo")

    answers = [citizen.says(f"messaggio numero {n}") for n in range(12)]

    notices = [a for answer in answers for a in answer if NOTICE in a]
    assert len(notices) == 1, answers
    assert NOTICE in answers[5][0]
    assert all(answer == [] for answer in answers[6:])
    assert InboundMessage.objects.filter(sender=NUMBER).count() == 12
    assert Message.objects.filter(ticket__subscriber__number=NUMBER).count() == 5
    flag = ScreeningFlag.objects.get()
    assert flag.inbound.text == "messaggio numero 5"
    assert "invio massivo" in flag.reasons[0]["reason"]
    assert Subscriber.objects.get(number=NUMBER).status == SubscriberStatus.BLOCKED
    block = Block.objects.get()
    assert block.ends_at - block.starts_at == dt.timedelta(minutes=30)
    # Every message after the line is kept under the moderation case, as evidence.
    assert block.case.messages.count() == 7


def test_the_block_lapses_by_itself_and_the_citizen_is_heard_again(
    whatsapp, municipality, office_hours, limits
):
    citizen = whatsapp.citizen(NUMBER, name="Ugo")
    for n in range(7):
        citizen.says(f"messaggio numero {n}")
    office_hours.shift(dt.timedelta(minutes=31))

    lapsed = blocks_lapse()
    answer = citizen.says("Scusate, volevo solo chiedere gli orari dell'anagrafe")

    assert lapsed == 1
    assert Subscriber.objects.get(number=NUMBER).status != SubscriberStatus.BLOCKED
    assert not any(NOTICE in a for a in answer)
    assert Message.objects.filter(
        ticket__subscriber__number=NUMBER, text__contains="orari dell'anagrafe"
    ).exists()


def test_a_number_that_sends_only_links_is_treated_the_same(
    whatsapp, municipality, office_hours, limits
):
    spammer = whatsapp.citizen(NUMBER, name="Promo")
    neighbour = whatsapp.citizen("+393489990002", name="Lia")

    first = [spammer.says(f"https://promo.example.com/offerta/{n}") for n in range(2)]
    third = spammer.says("www.promo.example.com/ultima  https://promo.example.com/x")
    fine = [
        neighbour.says(f"Ecco la foto: https://comune.cagliari.it/{n} grazie") for n in range(4)
    ]

    assert not any(NOTICE in a for answer in first for a in answer)
    assert any(NOTICE in a for a in third)
    assert Subscriber.objects.get(number=NUMBER).status == SubscriberStatus.BLOCKED
    reasons = [
        reason["reason"]
        for flag in ScreeningFlag.objects.filter(inbound__sender=NUMBER)
        for reason in flag.reasons
        if reason["rule"] == "flood"
    ]
    assert len(reasons) == 1 and "soli link" in reasons[0]
    assert Subscriber.objects.get(number="+393489990002").status != SubscriberStatus.BLOCKED
    assert not any(NOTICE in a for answer in fine for a in answer)


def test_a_person_writing_a_few_messages_is_never_slowed(whatsapp, municipality, office_hours):
    citizen = whatsapp.citizen(NUMBER, name="Ugo")

    for n in range(20):
        citizen.says(f"aggiungo un dettaglio, il numero {n}")

    assert not Block.objects.exists()
    assert not OutboundMessage.objects.filter(purpose="flood_notice").exists()


def test_the_moderation_queue_shows_the_flood_flag(
    whatsapp, municipality, office_hours, limits, client
):
    from moderation.tests.factories import moderator

    citizen = whatsapp.citizen(NUMBER, name="Ugo")
    for n in range(6):
        citizen.says(f"messaggio numero {n}")
    client.force_login(moderator(username="moderatrice"))

    page = client.get(reverse("admin:moderation_screeningflag_changelist"))

    assert page.status_code == 200
    assert "invio massivo" in page.content.decode()


def test_a_flood_block_goes_through_the_status_door_and_stops_the_citizens_broadcast(
    whatsapp, municipality, office_hours, limits, monkeypatch
):
    # The campaign's batches are not run: its deliveries stay queued, as for a citizen whose
    # turn has not come yet when the flood starts.
    monkeypatch.setattr(fanout, "enqueue_send_batch", lambda campaign_id, **kwargs: None)
    citizen = whatsapp.citizen(NUMBER, name="Ugo")
    citizen.says("Iscrivimi")
    campaign = CampaignFactory(state=CampaignState.APPROVED)
    campaign_start(campaign_id=campaign.pk, actor=UserFactory(roles=[Role.COMMUNICATIONS]))
    delivery = Delivery.objects.get(campaign=campaign)

    for n in range(7):
        citizen.says(f"messaggio numero {n}")

    assert Subscriber.objects.get(number=NUMBER).status == SubscriberStatus.BLOCKED
    blocked = AuditEvent.objects.get(
        action=AuditAction.STATE_CHANGED, details__to=SubscriberStatus.BLOCKED
    )
    assert blocked.actor_label == "sistema"
    assert blocked.details == {"from": "subscribed", "to": "blocked", "reason": "block"}
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.CANCELLED
