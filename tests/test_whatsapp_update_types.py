"""Every update type Meta sends through the signed webhook means something to the operator:
what the conversation page shows for each, and which ones open no ticket (issue #19)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from tests.fixtures.webhooks import cloud_api_fixture
from tickets.models import Message, Ticket
from tickets.tests.factories import operator
from urp_portal.gateway.models import InboundMessage, OutboundMessage, WebhookEvent

NUMBER = "+393000000101"
# Five minutes after request_welcome.json's timestamp (4 December 2026, 16:00 UTC): the welcome
# is free text, which WhatsApp takes only within 24 hours of the citizen's last message.
WELCOME_WINDOW = dt.datetime(2026, 12, 4, 16, 5, tzinfo=dt.UTC)


def fixture(name: str, **replace: str) -> bytes:
    """A fixture of tests/data/cloud_api/ with some of its values replaced (ids it points at)."""
    text = cloud_api_fixture(name).decode()
    for old, new in replace.items():
        text = text.replace(old, new)
    return text.encode()


@pytest.fixture
def citizen(whatsapp, municipality):
    return whatsapp.citizen(NUMBER, name="Lucia Fenu")


@pytest.fixture
def console(db):
    """The operator's browser."""
    browser = Client()
    browser.force_login(operator())
    return browser


def chat_of(console: Client, ticket: Ticket) -> str:
    """The conversation page's chat, as the operator sees it."""
    response = console.get(reverse("admin:tickets_ticket_conversation", args=[ticket.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    return html[html.index('<section class="chat"') : html.index("</section>")]


def only_ticket() -> Ticket:
    [ticket] = Ticket.objects.all()
    return ticket


def test_a_shared_contact_card_reads_as_its_name_and_numbers(whatsapp, citizen, console):
    whatsapp.post(fixture("contacts.json"))

    chat = chat_of(console, only_ticket())
    assert "Contatto condiviso: Mario Rossi" in chat
    assert "+39 300 000 0202" in chat
    assert "mario.rossi@example.org" in chat
    assert "Idraulica Rossi" in chat


def test_a_location_of_bare_coordinates_shows_them_with_a_map_link(whatsapp, citizen, console):
    whatsapp.post(fixture("location_coordinates.json"))

    chat = chat_of(console, only_ticket())
    assert "39.2238, 9.1217" in chat
    assert "https://www.openstreetmap.org/?mlat=39.2238&amp;mlon=9.1217" in chat


def test_a_named_place_shows_its_name_and_address(whatsapp, municipality, console):
    whatsapp.post(cloud_api_fixture("location.json"))

    chat = chat_of(console, only_ticket())
    message = InboundMessage.objects.get()
    place = message.extra["location"]
    assert place["name"] in chat
    assert place["address"] in chat
    assert "openstreetmap.org" in chat


def test_a_reaction_sits_on_the_bubble_it_reacts_to_and_opens_no_ticket(whatsapp, citizen, console):
    citizen.says("C'è una buca in via Roma")
    original = citizen.last_wamid
    ticket = only_ticket()

    citizen._send({"type": "reaction", "reaction": {"message_id": original, "emoji": "👍"}})

    assert Ticket.objects.count() == 1
    assert Message.objects.filter(ticket=ticket).count() == 1 + automatic_replies(ticket)
    assert '<span class="reaction"' in chat_of(console, ticket)
    assert Message.objects.get(inbound__provider_id=original).reaction == "👍"

    citizen._send({"type": "reaction", "reaction": {"message_id": original, "emoji": ""}})

    assert Message.objects.get(inbound__provider_id=original).reaction == ""
    assert '<span class="reaction"' not in chat_of(console, ticket)


def automatic_replies(ticket: Ticket) -> int:
    return Message.objects.filter(ticket=ticket, origin="automatic").count()


def test_a_reaction_to_our_reply_shows_on_our_bubble(whatsapp, citizen, console):
    from tickets import services

    citizen.says("Quando passa la raccolta del vetro?")
    ticket = only_ticket()
    user = operator()
    whatsapp.deliver(
        lambda: services.ticket_reply(ticket=ticket, text="Il giovedì mattina.", actor=user)
    )
    our_reply = OutboundMessage.objects.get(text="Il giovedì mattina.")
    assert our_reply.provider_id

    citizen._send(
        {"type": "reaction", "reaction": {"message_id": our_reply.provider_id, "emoji": "🙏"}}
    )

    assert Message.objects.get(outbound=our_reply).reaction == "🙏"
    assert "🙏" in chat_of(console, ticket)


def test_a_sticker_alone_opens_no_ticket_but_joins_a_conversation_under_way(
    whatsapp, citizen, console
):
    whatsapp.graph.add_media("7001", b"RIFF\x00\x00\x00\x00WEBPVP8 " + b"\x00" * 32, "image/webp")
    sticker = {"type": "sticker", "sticker": {"id": "7001", "mime_type": "image/webp"}}

    citizen._send(sticker)
    assert Ticket.objects.count() == 0
    assert InboundMessage.objects.get(provider_id=citizen.last_wamid).handled_by.endswith(
        "whatsapp_updates"
    )

    citizen.says("Buongiorno, una domanda sulla TARI")
    citizen._send(sticker | {"sticker": {"id": "7001", "mime_type": "image/webp"}})
    assert Message.objects.filter(ticket=only_ticket(), kind="sticker").count() == 1


def test_an_edit_shows_the_new_text_marked_and_keeps_the_original(whatsapp, citizen, console):
    citizen.says("La buca è in via Roma 21")
    original = citizen.last_wamid

    whatsapp.post(fixture("edit.json", **{"wamid.ORIGINAL": original}))

    ticket = only_ticket()
    chat = chat_of(console, ticket)
    assert "La buca è in via Roma 12, non 21" in chat
    assert '<small class="edited">modificato</small>' in chat
    assert InboundMessage.objects.get(provider_id=original).text == "La buca è in via Roma 21"
    assert Ticket.objects.count() == 1


def test_an_edit_that_adds_an_insult_is_flagged_on_its_bubble(whatsapp, citizen, console):
    from moderation.models import ScreeningFlag

    citizen.says("Il mio vicino parcheggia sul marciapiede")
    original = citizen.last_wamid
    assert Message.objects.get(inbound__provider_id=original).moderation_note == ""
    edit = json.loads(fixture("edit.json", **{"wamid.ORIGINAL": original}))
    edit["entry"][0]["changes"][0]["value"]["messages"][0]["edit"]["message"]["text"] = {
        "body": "Il mio vicino è un delinquente"
    }

    whatsapp.post(json.dumps(edit).encode())

    bubble = Message.objects.get(inbound__provider_id=original)
    assert bubble.text == "Il mio vicino è un delinquente"
    assert bubble.moderation_note
    assert ScreeningFlag.objects.filter(inbound__kind="edit").exists()
    assert "segnalato" in chat_of(console, only_ticket())


def test_a_deleted_message_reads_deleted_and_its_words_are_not_kept(whatsapp, citizen, console):
    citizen.says("Auguri zia Rosetta, ci vediamo domenica")
    original = citizen.last_wamid

    whatsapp.post(fixture("revoke.json", **{"wamid.ORIGINAL": original}))

    chat = chat_of(console, only_ticket())
    assert "eliminato dal cittadino" in chat
    assert "Rosetta" not in chat
    assert InboundMessage.objects.get(provider_id=original).text == ""


def test_a_deleted_message_flagged_by_moderation_is_kept_as_evidence(whatsapp, citizen, console):
    citizen.says("Vi aspetto sotto casa, vedrete")
    original = citizen.last_wamid
    bubble = Message.objects.get(inbound__provider_id=original)
    Message.objects.filter(pk=bubble.pk).update(moderation_note="minaccia")

    whatsapp.post(fixture("revoke.json", **{"wamid.ORIGINAL": original}))

    bubble.refresh_from_db()
    assert bubble.revoked_at is not None
    assert bubble.text == "Vi aspetto sotto casa, vedrete"
    assert InboundMessage.objects.get(provider_id=original).text == bubble.text


@time_machine.travel(WELCOME_WINDOW, tick=False)
def test_request_welcome_gets_the_comunes_welcome_and_no_ticket(whatsapp, citizen, municipality):
    municipality.first_contact_text = "Benvenuti allo sportello WhatsApp. Orari: lun-ven 9-13."
    municipality.save()

    whatsapp.post(fixture("request_welcome.json"))

    assert Ticket.objects.count() == 0
    assert citizen.received == ["Benvenuti allo sportello WhatsApp. Orari: lun-ven 9-13."]
    assert OutboundMessage.objects.get().purpose == "welcome_request"


@time_machine.travel(WELCOME_WINDOW, tick=False)
def test_request_welcome_without_a_first_contact_text_gets_a_short_welcome(
    whatsapp, citizen, municipality
):
    municipality.first_contact_text = ""
    municipality.save()

    whatsapp.post(fixture("request_welcome.json"))

    [welcome] = citizen.received
    assert welcome.startswith(f"{municipality.name}: benvenuto nel servizio WhatsApp.")


def test_a_flow_answer_shows_the_forms_fields(whatsapp, citizen, console):
    whatsapp.post(fixture("nfm_reply.json"))

    chat = chat_of(console, only_ticket())
    assert "servizio: Carta d&#x27;identità" in chat
    assert "giorno: 2026-12-10" in chat
    assert "fascia oraria: mattina" in chat
    assert "flow_token" not in chat and "prenotazione-42" not in chat


def test_an_order_is_a_one_line_note_never_an_empty_bubble(whatsapp, citizen, console):
    whatsapp.post(fixture("order.json"))

    chat = chat_of(console, only_ticket())
    assert "Ordine dal catalogo: 2 articoli" in chat
    assert "Per il ritiro in biblioteca" in chat


def test_a_call_permission_answer_opens_no_ticket_but_shows_in_one_under_way(
    whatsapp, citizen, console
):
    whatsapp.post(fixture("call_permission_reply.json"))
    assert Ticket.objects.count() == 0

    citizen.says("Potete chiamarmi per la pratica?")
    whatsapp.post(
        fixture(
            "call_permission_reply.json",
            **{"wamid.HBgMMzkzMDAwMDAwMTAxFQIAEhgUM0EwQ0FMTFBFUk0wMDAwMDAwMQA=": "wamid.CALL2"},
        )
    )
    assert "ha acconsentito a essere chiamato" in chat_of(console, only_ticket())


@pytest.mark.parametrize(
    ("name", "line"),
    [
        ("unknown_type.json", "Messaggio di tipo «hologram», non ancora visualizzabile qui."),
        ("unsupported.json", "Messaggio di un tipo che WhatsApp non inoltra"),
    ],
)
def test_a_type_we_do_not_know_is_stored_and_shown_as_a_line(
    whatsapp, municipality, console, name, line
):
    whatsapp.post(cloud_api_fixture(name))

    assert InboundMessage.objects.get().kind == "unsupported"
    assert line in chat_of(console, only_ticket())


@pytest.mark.parametrize(
    "name",
    ["status_played.json", "status_deleted.json", "status_warning.json", "status_group.json"],
)
def test_statuses_that_mean_nothing_to_us_are_accepted_and_change_nothing(
    whatsapp, municipality, name
):
    whatsapp.post(cloud_api_fixture(name))

    event = WebhookEvent.objects.get()
    assert event.state == WebhookEvent.State.PROCESSED
    assert not InboundMessage.objects.exists()
    assert not Ticket.objects.exists()


def test_every_fixture_is_accepted_by_the_door(client, municipality, whatsapp):
    from tests.fixtures.webhooks import cloud_api_fixture_names

    for name in cloud_api_fixture_names():
        body = cloud_api_fixture(name)
        value = json.loads(body)["entry"][0]["changes"][0]["value"]
        if value.get("metadata", {}).get("phone_number_id") != "1122334455667":
            continue  # another business's number: the door's own tests
        whatsapp.post(body)

    assert not WebhookEvent.objects.exclude(state=WebhookEvent.State.PROCESSED).exists()
    assert not Message.objects.filter(text="", inbound__isnull=False, kind="text").exists()
