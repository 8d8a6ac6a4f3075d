"""Many comuni on one deployment (issue #24, phase 1): two comuni, each bound to its own
WhatsApp number; one webhook URL; each citizen answered by their own comune's rules, from their
own comune's number, with its own token. Through the real doors: signed webhooks into the view,
a real worker process (or the same tasks run eagerly), the fake Graph API's log."""

from __future__ import annotations

import datetime as dt
import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from subscribers.models import Subscriber
from tests.fixtures.celery_worker import wait_until
from tests.fixtures.comuni import (
    ASSEMINI_NUMBER,
    ASSEMINI_TOKEN,
    CAGLIARI_NUMBER,
    CAGLIARI_TOKEN,
    PHONE,
    SECRETS_KEY,
    text_to,
)
from tests.fixtures.conversation import JPEG_BYTES, received_text
from tests.fixtures.webhooks import post_signed_webhook
from tickets.models import Ticket
from urp_portal.accounts.models import ApiToken
from urp_portal.gateway import ratelimit
from urp_portal.gateway.models import InboundMessage, OutboundMessage, WebhookEvent
from urp_portal.municipality.models import Municipality, WhatsAppNumber
from urp_portal.municipality.scope import ComuneScopeMissing, comune_scope, owned_by
from urp_portal.municipality.sealed import unseal
from urp_portal.municipality.selectors import municipality_calendar, municipality_get_active


def _sent_from(graph, phone_number_id: str) -> list:
    return [r for r in graph.sent_messages() if r.path.split("/")[-2] == phone_number_id]


def _assert_sent_by_its_own_comune(graph, cagliari, assemini):
    """What each comune's citizen received, checked against that comune's own configuration."""
    from_cagliari = _sent_from(graph, CAGLIARI_NUMBER)
    from_assemini = _sent_from(graph, ASSEMINI_NUMBER)
    # Every message left from one of the two comuni's numbers, none from the deployment's.
    assert len(from_cagliari) + len(from_assemini) == len(graph.sent_messages())
    assert {r.headers.get("Authorization") for r in from_cagliari} == {f"Bearer {CAGLIARI_TOKEN}"}
    assert {r.headers.get("Authorization") for r in from_assemini} == {f"Bearer {ASSEMINI_TOKEN}"}
    cagliari_texts = [received_text(r) for r in from_cagliari]
    assemini_texts = [received_text(r) for r in from_assemini]
    # Cagliari: its own privacy notice at first contact, no identity questions (it asks none).
    assert any(t.startswith(cagliari.privacy_notice_text[:60]) for t in cagliari_texts)
    assert not any(t.startswith(assemini.identity_request_text) for t in cagliari_texts)
    assert not any("Assemini" in t for t in cagliari_texts)
    # Assemini: its own notice, then its identity questions before anything else.
    assert any(t.startswith(assemini.privacy_notice_text[:60]) for t in assemini_texts)
    assert any(t.startswith(assemini.identity_request_text) for t in assemini_texts)
    assert not any("Cagliari" in t for t in assemini_texts)
    return cagliari_texts, assemini_texts


def _assert_owned_by_its_comune(cagliari, assemini, sent_at):
    # The same phone is two citizens, one per comune.
    by_comune = dict(Subscriber.all_comuni.filter(number=PHONE).values_list("comune__slug", "pk"))
    assert set(by_comune) == {"cagliari", "assemini"}
    # Cagliari opened a ticket with its own deadline; Assemini holds the message until it
    # knows who writes (its identity questions), so it has none yet.
    ticket = Ticket.all_comuni.get()
    assert ticket.comune == cagliari
    assert ticket.subscriber_id == by_comune["cagliari"]
    calendar = municipality_calendar(cagliari)
    assert ticket.due_at == calendar.add_working_days(
        sent_at, cagliari.answer_deadline_working_days
    )
    assert set(InboundMessage.objects.values_list("comune__slug", flat=True)) == {
        "cagliari",
        "assemini",
    }


@pytest.mark.django_db(transaction=True)
@pytest.mark.worker
def test_two_comuni_answer_their_own_citizens_from_their_own_numbers(
    two_comuni, live_server, fake_graph, celery_worker_process, client, settings
):
    cagliari, assemini = two_comuni
    worker = celery_worker_process.start(
        graph=fake_graph,
        env={
            "URP_SECRETS_KEY": SECRETS_KEY,
            "WHATSAPP_RATE_PER_SECOND": "0",
            "WHATSAPP_RECIPIENT_INTERVAL_SECONDS": "0",
        },
    )

    to_cagliari = post_signed_webhook(
        client, text_to(CAGLIARI_NUMBER, sender=PHONE, text="Buongiorno, orari anagrafe?")
    )
    to_assemini = post_signed_webhook(
        client, text_to(ASSEMINI_NUMBER, sender=PHONE, text="Buongiorno, info TARI")
    )
    wait_until(
        lambda: (
            InboundMessage.objects.filter(state="processed").count() == 2
            and OutboundMessage.objects.exists()
            and not OutboundMessage.objects.filter(state__in=["queued", "sending"]).exists()
        ),
        timeout=90,
        message=lambda: f"not answered: {list(OutboundMessage.objects.values())}\n{worker.log()}",
    )

    assert (to_cagliari.status_code, to_assemini.status_code) == (200, 200)
    assert set(OutboundMessage.objects.values_list("state", flat=True)) == {"sent"}
    _assert_sent_by_its_own_comune(fake_graph, cagliari, assemini)
    cagliari_message = InboundMessage.objects.get(comune=cagliari)
    _assert_owned_by_its_comune(cagliari, assemini, cagliari_message.sent_at)
    # Cagliari's hours: out of them, its own out-of-hours text with its own hours.
    cagliari_calendar = municipality_calendar(cagliari)
    out_of_hours = OutboundMessage.objects.filter(comune=cagliari, purpose="out_of_hours")
    assert out_of_hours.exists() == (not cagliari_calendar.is_open(cagliari_message.sent_at))
    for message in out_of_hours:
        assert message.text.startswith(cagliari.out_of_hours_text.split("{")[0])
        # Its hours (9:00-12:00), not Assemini's (8:30-13:00).
        assert "9:00-12:00" in message.text
        assert "8:30" not in message.text


def test_each_comunes_citizen_gets_its_own_rules_in_process(two_comuni, whatsapp, client):
    """The same flow as the worker's, with the tasks run eagerly: faster, and the place to
    look at the details."""
    cagliari, assemini = two_comuni

    for number, text in ((CAGLIARI_NUMBER, "Buongiorno"), (ASSEMINI_NUMBER, "Buongiorno")):
        whatsapp.deliver(
            lambda n=number, t=text: post_signed_webhook(client, text_to(n, sender=PHONE, text=t))
        )

    _assert_sent_by_its_own_comune(whatsapp.graph, cagliari, assemini)
    cagliari_message = InboundMessage.objects.get(comune=cagliari)
    _assert_owned_by_its_comune(cagliari, assemini, cagliari_message.sent_at)
    assert set(OutboundMessage.objects.values_list("comune__slug", flat=True)) == {
        "cagliari",
        "assemini",
    }


def test_a_webhook_for_a_number_of_no_comune_is_stored_and_opens_nothing(
    two_comuni, whatsapp, client
):
    body = text_to("999999999999999", sender=PHONE, text="Buongiorno")

    whatsapp.deliver(lambda: post_signed_webhook(client, body))

    event = WebhookEvent.objects.get()
    assert event.state == WebhookEvent.State.IGNORED
    assert "999999999999999" in event.error
    assert not InboundMessage.objects.exists()
    assert not Subscriber.all_comuni.exists()
    assert not Ticket.all_comuni.exists()
    assert whatsapp.graph.sent_messages() == []


def test_the_second_citizen_of_a_comune_is_found_again_not_the_other_comunes(
    two_comuni, whatsapp, client
):
    cagliari, _assemini = two_comuni
    for number in (CAGLIARI_NUMBER, ASSEMINI_NUMBER, CAGLIARI_NUMBER):
        whatsapp.deliver(
            lambda n=number: post_signed_webhook(client, text_to(n, sender=PHONE, text="Ancora io"))
        )

    assert Subscriber.all_comuni.filter(number=PHONE).count() == 2
    ticket = Ticket.all_comuni.get()
    assert ticket.comune == cagliari
    with comune_scope(cagliari):
        assert ticket.messages.filter(origin="citizen").count() == 2


def test_load_preset_with_a_comune_adds_it_bound_to_its_number_and_leaves_the_others(
    db, settings, monkeypatch
):
    settings.URP_SECRETS_KEY = [SECRETS_KEY]
    monkeypatch.setenv("URP_TEST_TOKEN", CAGLIARI_TOKEN)
    call_command("load_preset", "ancona", stdout=StringIO())

    for _twice in range(2):
        call_command(
            "load_preset",
            "cagliari",
            "--comune",
            "cagliari",
            "--phone-number-id",
            CAGLIARI_NUMBER,
            "--business-account-id",
            "waba-1",
            "--access-token-env",
            "URP_TEST_TOKEN",
            stdout=StringIO(),
        )

    # The single-comune command still makes its comune the active one; the other leaves it.
    assert Municipality.objects.get(is_active=True).slug == "ancona"
    number = WhatsAppNumber.objects.get()
    assert (number.comune.slug, number.phone_number_id, number.business_account_id) == (
        "cagliari",
        CAGLIARI_NUMBER,
        "waba-1",
    )
    # Sealed at rest: the database holds no usable token, the key opens it.
    assert CAGLIARI_TOKEN not in number.access_token_sealed
    assert unseal(number.access_token_sealed) == CAGLIARI_TOKEN
    assert Municipality.objects.get(slug="cagliari").office_slots.exists()


def test_a_number_already_bound_to_another_comune_is_refused(two_comuni):
    with pytest.raises(CommandError, match="già del comune"):
        call_command(
            "load_preset",
            "ancona",
            "--comune",
            "ancona",
            "--phone-number-id",
            CAGLIARI_NUMBER,
            stdout=StringIO(),
        )

    assert WhatsAppNumber.objects.get(phone_number_id=CAGLIARI_NUMBER).comune.slug == "cagliari"
    assert not Municipality.objects.filter(slug="ancona").exists()


def test_a_comune_without_its_number_is_refused(db):
    with pytest.raises(CommandError, match="insieme"):
        call_command("load_preset", "ancona", "--comune", "ancona", stdout=StringIO())


def test_a_token_is_never_sealed_without_a_key_in_production(db, settings):
    settings.DEBUG = False
    settings.URP_SECRETS_KEY = []
    from django.core.exceptions import ImproperlyConfigured

    from urp_portal.municipality.sealed import seal

    with pytest.raises(ImproperlyConfigured, match="URP_SECRETS_KEY"):
        seal("a token")


def test_create_api_token_binds_the_token_to_its_comune(two_comuni):
    cagliari, _assemini = two_comuni
    out = StringIO()

    call_command(
        "create_api_token", "protezione-civile", "--role", "communications", "--comune",
        "cagliari", stdout=out, stderr=StringIO(),
    )  # fmt: skip

    key = out.getvalue().strip().splitlines()[-1]
    token = ApiToken.all_comuni.get()
    assert key.startswith(token.prefix)
    assert token.comune == cagliari
    with pytest.raises(CommandError, match="Comune sconosciuto"):
        call_command(
            "create_api_token", "x", "--role", "operator", "--comune", "nessuno",
            stdout=StringIO(), stderr=StringIO(),
        )  # fmt: skip


def test_a_lookup_outside_any_comunes_scope_fails_closed_once_several_are_served(db, settings):
    settings.URP_SECRETS_KEY = [SECRETS_KEY]
    call_command("load_preset", "cagliari", stdout=StringIO())
    assert municipality_get_active().slug == "cagliari"

    call_command(
        "load_preset", "assemini", "--comune", "assemini", "--phone-number-id",
        ASSEMINI_NUMBER, stdout=StringIO(),
    )  # fmt: skip

    with pytest.raises(ComuneScopeMissing):
        municipality_get_active()
    assemini = Municipality.objects.get(slug="assemini")
    with comune_scope(assemini):
        assert municipality_get_active() == assemini


def test_the_deployments_own_number_still_reaches_the_active_comune(municipality, whatsapp, client):
    """A single-comune deployment: the WHATSAPP_* number, no number bound, as before."""
    body = text_to("1122334455667", sender=PHONE, text="Buongiorno")

    whatsapp.deliver(lambda: post_signed_webhook(client, body))

    # No number bound: the rows stay unassigned and the code unscoped, as before the tenancy
    # (so switching the active preset keeps every citizen), and owned by the active comune.
    subscriber = Subscriber.objects.get()
    assert subscriber.comune is None
    assert Subscriber.objects.filter(owned_by(municipality)).get() == subscriber
    assert Ticket.objects.get().comune is None
    assert InboundMessage.objects.get().comune is None
    sent = whatsapp.graph.sent_messages()
    assert sent and {r.path.split("/")[-2] for r in sent} == {"1122334455667"}
    assert {r.headers.get("Authorization") for r in sent} == {"Bearer test-access-token"}


def test_the_pace_of_one_citizen_is_kept_per_business_number(db, settings):
    settings.WHATSAPP_RECIPIENT_INTERVAL_SECONDS = 6.0
    ratelimit.reset_redis()

    first_a = ratelimit.reserve_recipient_slot(PHONE, number=CAGLIARI_NUMBER)
    first_b = ratelimit.reserve_recipient_slot(PHONE, number=ASSEMINI_NUMBER)
    second_a = ratelimit.reserve_recipient_slot(PHONE, number=CAGLIARI_NUMBER)

    assert first_a == 0
    assert first_b == 0
    assert 5.0 < second_a <= 6.0


def test_messages_written_to_a_comune_open_only_that_comunes_window(two_comuni, whatsapp, client):
    cagliari, assemini = two_comuni
    whatsapp.deliver(
        lambda: post_signed_webhook(client, text_to(CAGLIARI_NUMBER, sender=PHONE, text="Ciao"))
    )
    from urp_portal.gateway.selectors import inbound_last_sent_at

    assert inbound_last_sent_at(sender=PHONE, comune_id=cagliari.pk) is not None
    assert inbound_last_sent_at(sender=PHONE, comune_id=assemini.pk) is None
    assert timezone.now() - inbound_last_sent_at(sender=PHONE, comune_id=cagliari.pk) < (
        dt.timedelta(minutes=5)
    )


def test_a_campaign_reaches_only_its_own_comunes_subscribers(two_comuni):
    from broadcasts.selectors import campaign_recipients
    from broadcasts.tests.factories import CampaignFactory
    from subscribers.tests.factories import SubscriberFactory

    cagliari, assemini = two_comuni
    ours = SubscriberFactory(comune=cagliari, number=PHONE, subscribed=True)
    SubscriberFactory(comune=assemini, number=PHONE, subscribed=True)
    # Campaigns are a comune's too: made in its scope (outside one, no comune's rows are read).
    with comune_scope(cagliari):
        campaign = CampaignFactory()

    with comune_scope(cagliari):
        recipients = list(campaign_recipients(campaign=campaign))
    # Outside any comune's scope a deployment of several comuni reads no one's.
    with pytest.raises(ComuneScopeMissing):
        list(campaign_recipients(campaign=campaign))

    assert recipients == [ours]


def test_a_new_key_reseals_every_stored_secret_and_the_old_one_can_go(two_comuni, settings):
    from urp_portal.municipality.services import whatsapp_numbers_reseal

    new_key = "a-new-test-only-key-of-at-least-32-chars"
    settings.URP_SECRETS_KEY = [new_key, SECRETS_KEY]

    assert whatsapp_numbers_reseal() == 2

    settings.URP_SECRETS_KEY = [new_key]
    tokens = {
        n.phone_number_id: unseal(n.access_token_sealed) for n in WhatsAppNumber.objects.all()
    }
    assert tokens == {CAGLIARI_NUMBER: CAGLIARI_TOKEN, ASSEMINI_NUMBER: ASSEMINI_TOKEN}


def test_a_citizens_photo_is_fetched_with_the_token_of_the_comune_they_wrote_to(
    two_comuni, whatsapp, client
):
    media_id = "778899001122"
    whatsapp.graph.add_media(media_id, JPEG_BYTES, "image/jpeg")
    body = json.loads(text_to(ASSEMINI_NUMBER, sender=PHONE, text=""))
    message = body["entry"][0]["changes"][0]["value"]["messages"][0]
    message.pop("text")
    message.update(type="image", image={"id": media_id, "mime_type": "image/jpeg"})

    whatsapp.deliver(lambda: post_signed_webhook(client, json.dumps(body).encode()))

    fetches = [r for r in whatsapp.graph.requests if r.method == "GET" and media_id in r.path]
    assert len(fetches) == 2  # the lookup, then the file
    assert {r.headers.get("Authorization") for r in fetches} == {f"Bearer {ASSEMINI_TOKEN}"}
    assert InboundMessage.objects.get().media_file


def test_with_no_number_of_its_own_the_deployment_takes_only_the_bound_ones(db, settings):
    from urp_portal.gateway.adapters import get_adapter

    settings.WHATSAPP_PHONE_NUMBER_ID = ""
    settings.URP_SECRETS_KEY = [SECRETS_KEY]
    adapter = get_adapter("meta")
    unbound = text_to("555000555000555", sender=PHONE, text="Buongiorno")
    # Nothing configured yet: every number is ours, as before (a number being set up).
    assert len(adapter.parse_webhook(body=unbound).messages) == 1

    call_command(
        "load_preset", "ancona", "--comune", "ancona", "--phone-number-id", CAGLIARI_NUMBER,
        stdout=StringIO(),
    )  # fmt: skip

    foreign = adapter.parse_webhook(body=unbound)
    bound = adapter.parse_webhook(body=text_to(CAGLIARI_NUMBER, sender=PHONE, text="Ciao"))
    assert (foreign.messages, foreign.foreign_phone_number_ids) == ([], ["555000555000555"])
    assert [m.phone_number_id for m in bound.messages] == [CAGLIARI_NUMBER]
