"""Two comuni on one deployment, the desk's last shared pieces (issue #24): each comune's
satisfaction survey, its rules for requests that belong elsewhere, its operators' presence and
its raw webhook bodies are its own. Through the real doors: signed webhooks into the view (the
work they start run eagerly by the real tasks), the API, the console's live poll, the admin."""

from __future__ import annotations

import json
import re
import time
import uuid

import pytest
from django.db import connection
from django.utils import timezone

from subscribers.models import Subscriber
from subscribers.services import subscriber_erase
from subscribers.states import ConsentChannel
from tests.fixtures.comuni import ASSEMINI_NUMBER, CAGLIARI_NUMBER, PHONE, text_to
from tests.fixtures.conversation import received_text
from tickets.models import ConversationPresence, ElsewhereRule, SatisfactionSurvey, Ticket
from tickets.services import conversation_presence_touch
from tickets.services.redirects import elsewhere_classifier
from tickets.states import SurveyScore, SurveyState
from urp_portal.accounts.models import StaffMembership
from urp_portal.accounts.roles import Role
from urp_portal.accounts.services import api_token_create
from urp_portal.accounts.tests.factories import UserFactory, client_with_key, pass_second_factor
from urp_portal.gateway.models import InboundMessage, WebhookEvent
from urp_portal.municipality.models import Municipality
from urp_portal.municipality.scope import comune_scope
from urp_portal.municipality.states import ElsewhereHandling
from urp_portal.provider.health import inbound_last_received_query, provider_health

ASSEMINI_QUESTION = "Assemini chiede: è soddisfatto della risposta?"
DIGITS = PHONE.lstrip("+").encode()


def _body(phone_number_id: str, value: dict) -> bytes:
    value = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "390700000000", "phone_number_id": phone_number_id},
    } | value
    return json.dumps(
        {
            "object": "whatsapp_business_account",
            "entry": [{"id": "1", "changes": [{"field": "messages", "value": value}]}],
        }
    ).encode()


def _tap(phone_number_id: str, button: dict) -> bytes:
    """The citizen taps a reply button, in the chat with the business number `phone_number_id`."""
    digits = PHONE.lstrip("+")
    return _body(
        phone_number_id,
        {
            "contacts": [{"profile": {"name": "Cittadino"}, "wa_id": digits}],
            "messages": [
                {
                    "from": digits,
                    "id": f"wamid.tap.{uuid.uuid4().hex[:12]}",
                    "timestamp": str(int(time.time())),
                    "type": "interactive",
                    "interactive": {"type": "button_reply", "button_reply": button},
                }
            ],
        },
    )


def _delivered(phone_number_id: str, message_id: str) -> bytes:
    """Meta's "delivered" callback for one of our messages: it names the citizen's number."""
    return _body(
        phone_number_id,
        {
            "statuses": [
                {
                    "id": message_id,
                    "status": "delivered",
                    "timestamp": str(int(time.time())),
                    "recipient_id": PHONE.lstrip("+"),
                }
            ]
        },
    )


def _from(graph, phone_number_id: str) -> list:
    return [r for r in graph.sent_messages() if r.path.split("/")[-2] == phone_number_id]


@pytest.fixture
def desk(two_comuni, whatsapp):
    """Each comune's citizen (the same phone) wrote to its own number and has an open ticket.
    Assemini asks its own survey question; Cagliari has the survey off. Neither asks the
    identity questions, so the first message opens the ticket."""
    cagliari, assemini = two_comuni
    for comune, changes in (
        (cagliari, {"satisfaction_survey_enabled": False, "identity_required": False}),
        (
            assemini,
            {
                "satisfaction_survey_enabled": True,
                "satisfaction_question_text": ASSEMINI_QUESTION,
                "identity_required": False,
            },
        ),
    ):
        for field, value in changes.items():
            setattr(comune, field, value)
        comune.save()
    for number in (CAGLIARI_NUMBER, ASSEMINI_NUMBER):
        whatsapp.post(text_to(number, sender=PHONE, text="Buongiorno, una domanda sulla TARI"))
    tickets = {t.comune.slug: t for t in Ticket.all_comuni.select_related("comune")}
    assert set(tickets) == {"cagliari", "assemini"}
    return cagliari, assemini, tickets


def _token(slug: str):
    _token, key = api_token_create(name=f"gestionale-{slug}", role="operator", comune_slug=slug)
    return client_with_key(key)


def test_each_comune_asks_its_own_survey_from_its_number_and_counts_it_in_its_own_stats(
    desk, whatsapp, django_capture_on_commit_callbacks
):
    cagliari, assemini, tickets = desk
    cagliari_api, assemini_api = _token("cagliari"), _token("assemini")
    before = len(whatsapp.graph.sent_messages())

    with django_capture_on_commit_callbacks(execute=True):
        resolved = {
            "cagliari": cagliari_api.post(f"/api/v1/tickets/{tickets['cagliari'].pk}/resolve/"),
            "assemini": assemini_api.post(f"/api/v1/tickets/{tickets['assemini'].pk}/resolve/"),
        }
    asked = [
        r for r in whatsapp.graph.sent_messages()[before:] if r.json.get("type") == "interactive"
    ]
    survey = SatisfactionSurvey.all_comuni.get()
    buttons = {
        b["reply"]["title"]: b["reply"] for b in asked[0].json["interactive"]["action"]["buttons"]
    }
    # The same button of Assemini's survey, tapped in the chat with Cagliari's number: another
    # comune's citizen, another comune's surveys. Then in Assemini's own chat.
    whatsapp.post(_tap(CAGLIARI_NUMBER, buttons["Insoddisfatto"]))
    after_the_wrong_chat = SatisfactionSurvey.all_comuni.get().state
    whatsapp.post(_tap(ASSEMINI_NUMBER, buttons["Soddisfatto"]))
    stats = {
        slug: api.get("/api/v1/stats/").json()["satisfaction"]["month"]
        for slug, api in (("cagliari", cagliari_api), ("assemini", assemini_api))
    }

    assert {slug: r.status_code for slug, r in resolved.items()} == {
        "cagliari": 200,
        "assemini": 200,
    }
    # Cagliari's survey is off: only Assemini's citizen is asked, in Assemini's words, from
    # Assemini's number.
    assert [received_text(r) for r in asked] == [ASSEMINI_QUESTION]
    assert asked[0].path.split("/")[-2] == ASSEMINI_NUMBER
    assert (survey.comune, survey.ticket_id) == (assemini, tickets["assemini"].pk)
    assert after_the_wrong_chat == SurveyState.SENT
    answered = SatisfactionSurvey.all_comuni.get()
    assert (answered.state, answered.score) == (SurveyState.ANSWERED, SurveyScore.SATISFIED)
    assert stats["assemini"]["sent"] == 1 and stats["assemini"]["answered"] == 1
    assert stats["assemini"]["satisfied_pct"] == 100
    assert stats["cagliari"]["sent"] == 0 and stats["cagliari"]["answered"] == 0
    # The tap in Cagliari's chat opened no survey answer there either: no Cagliari survey.
    with comune_scope(cagliari):
        assert not SatisfactionSurvey.objects.exists()
    with comune_scope(assemini):
        assert SatisfactionSurvey.objects.count() == 1


def test_each_comune_reads_its_citizens_with_its_own_rules_for_other_channels(two_comuni, client):
    cagliari, assemini = two_comuni
    administrator = UserFactory(username="adm-assemini", roles=[Role.ADMINISTRATOR], is_staff=True)
    StaffMembership.objects.create(user=administrator, comune=assemini)
    client.force_login(administrator)
    pass_second_factor(client, administrator)
    text = "Una colonia di pappagalli verdi fa rumore in piazza"

    added = client.post(
        "/admin/tickets/elsewhererule/add/",
        {"kind": "report", "phrase": "pappagalli verdi", "is_active": "on"},
    )
    listed = client.get("/admin/tickets/elsewhererule/", {"q": "pappagalli"}).content.decode()
    with comune_scope(assemini):
        assemini_kind = elsewhere_classifier().classify(text)
    with comune_scope(cagliari):
        cagliari_kind = elsewhere_classifier().classify(text)
        cagliari_rule = ElsewhereRule.objects.filter(phrase="pappagalli verdi").first()

    assert added.status_code == 302
    assert ElsewhereRule.all_comuni.get(phrase="pappagalli verdi").comune == assemini
    assert "pappagalli verdi" in listed
    assert assemini_kind == "report"
    assert cagliari_kind is None and cagliari_rule is None
    # Each comune got the deployment's seed rules as its own copy (load_preset --comune).
    seeded = ElsewhereRule.all_comuni.filter(comune__isnull=True).count()
    assert seeded > 100
    for comune in (cagliari, assemini):
        assert (
            ElsewhereRule.all_comuni.filter(comune=comune)
            .exclude(phrase="pappagalli verdi")
            .count()
            == seeded
        )


def test_a_redirect_rule_of_one_comune_never_closes_the_others_citizens_request(desk, whatsapp):
    cagliari, assemini, _tickets = desk
    for comune in (cagliari, assemini):
        comune.reports_handling = ElsewhereHandling.REDIRECT
        comune.save()
    ElsewhereRule.all_comuni.create(comune=assemini, kind="report", phrase="pappagalli verdi")
    Ticket.all_comuni.update(state="resolved")
    text = "Una colonia di pappagalli verdi fa rumore in piazza"

    for number in (CAGLIARI_NUMBER, ASSEMINI_NUMBER):
        whatsapp.post(text_to(number, sender=PHONE, text=text))

    latest = {
        slug: Ticket.all_comuni.filter(comune__slug=slug).order_by("-pk").first()
        for slug in ("cagliari", "assemini")
    }
    assert latest["assemini"].state == "closed"
    assert latest["assemini"].closing_reason == "official_channel"
    assert latest["cagliari"].state != "closed"


def _desk_member_of(*comuni):
    user = UserFactory(
        username=f"desk-{uuid.uuid4().hex[:6]}", roles=[Role.OPERATOR], is_staff=True
    )
    for comune in comuni:
        StaffMembership.objects.create(user=user, comune=comune)
    return user


def test_the_live_console_never_shows_or_refreshes_a_presence_of_another_comune(desk, client):
    cagliari, assemini, tickets = desk
    theirs = tickets["assemini"]
    colleague = UserFactory(
        username="op-assemini", first_name="Alba", roles=[Role.OPERATOR], is_staff=True
    )
    StaffMembership.objects.create(user=colleague, comune=assemini)
    help_desk = _desk_member_of(cagliari, assemini)
    with comune_scope(assemini):
        conversation_presence_touch(ticket=theirs, user=colleague, typing=True)
        # The help desk had Assemini's conversation open, then switched to Cagliari.
        conversation_presence_touch(ticket=theirs, user=help_desk, typing=False)
    mine_before = ConversationPresence.all_comuni.get(user=help_desk).seen_at
    client.force_login(help_desk)
    pass_second_factor(client, help_desk)

    client.post("/admin/comune/", {"comune": cagliari.pk})
    # Its own row there is fresh (no heartbeat due): the poll reads, and must find nothing.
    in_cagliari = client.get("/admin/tickets/ticket/live/", {"t": theirs.pk})
    typing_in_cagliari = client.get("/admin/tickets/ticket/live/", {"t": theirs.pk, "typing": "1"})
    client.post("/admin/comune/", {"comune": assemini.pk})
    in_assemini = client.get("/admin/tickets/ticket/live/", {"t": theirs.pk})
    # A Cagliari-only operator asking for Assemini's conversation.
    stranger = _desk_member_of(cagliari)
    client.force_login(stranger)
    pass_second_factor(client, stranger)
    from_cagliari_only = client.get("/admin/tickets/ticket/live/", {"t": theirs.pk})

    assert in_cagliari.status_code == 200
    for poll in (in_cagliari, typing_in_cagliari):
        assert "colleagues" not in poll.json()
        assert "Alba" not in poll.content.decode()
    # Cagliari's poll neither refreshed the help desk's presence on Assemini's ticket nor
    # made one for the stranger.
    assert ConversationPresence.all_comuni.get(user=help_desk).seen_at == mine_before
    assert not ConversationPresence.all_comuni.filter(user=stranger).exists()
    assert "colleagues" not in from_cagliari_only.json()
    # The control: in Assemini's scope the same poll shows Assemini's colleague.
    assert in_assemini.json()["colleagues"] == [{"name": "Alba", "typing": True}]
    with comune_scope(cagliari):
        assert not ConversationPresence.objects.exists()


def test_the_worker_records_each_events_comune_and_an_erasure_blanks_only_its_comunes_bodies(
    desk, whatsapp, client
):
    cagliari, _assemini, _tickets = desk
    for number in (CAGLIARI_NUMBER, ASSEMINI_NUMBER):
        sent = _from(whatsapp.graph, number)[-1]
        whatsapp.post(_delivered(number, sent.message_id))
    foreign = text_to("999999999999999", sender=PHONE, text="Per un altro numero")
    whatsapp.post(foreign)
    by_comune = {
        slug: list(WebhookEvent.objects.filter(comune__slug=slug))
        for slug in ("cagliari", "assemini")
    }
    unrouted = WebhookEvent.objects.get(comune__isnull=True)
    administrator = UserFactory(username="adm-cagliari", roles=[Role.ADMINISTRATOR], is_staff=True)
    StaffMembership.objects.create(user=administrator, comune=cagliari)
    root = UserFactory(username="root", is_staff=True, is_superuser=True)
    listed = {}
    for user in (administrator, root):
        client.force_login(user)
        pass_second_factor(client, user)
        client.post("/admin/comune/", {"comune": cagliari.pk})
        page = client.get("/admin/gateway/webhookevent/")
        listed[user.username] = {event.pk for event in page.context["cl"].result_list}
    other_page = client.get(f"/admin/gateway/webhookevent/{by_comune['assemini'][0].pk}/change/")

    result = subscriber_erase(
        subscriber=Subscriber.all_comuni.get(comune=cagliari),
        reason="Richiesta dell'interessato",
        channel=ConsentChannel.ADMIN,
        actor="test",
    )

    # Each comune's message and status callback were recorded for it; a number of no comune's
    # for none.
    assert [len(by_comune["cagliari"]), len(by_comune["assemini"])] == [2, 2]
    assert {event.state for events in by_comune.values() for event in events} == {"processed"}
    assert unrouted.state == WebhookEvent.State.IGNORED
    assert listed["adm-cagliari"] == {event.pk for event in by_comune["cagliari"]}
    assert listed["root"] == {event.pk for event in by_comune["cagliari"]} | {unrouted.pk}
    assert other_page.status_code == 404  # not there for Cagliari (admin_scope.py)
    assert result.erased
    bodies = {
        slug: [bytes(e.body) for e in WebhookEvent.objects.filter(comune__slug=slug)]
        for slug in ("cagliari", "assemini")
    }
    assert bodies["cagliari"] == [b"", b""]
    # Assemini's citizen with the same phone is another citizen: their bodies are kept.
    assert all(DIGITS in body for body in bodies["assemini"])
    # The body for a number of no comune is nobody's citizen's: left as it came.
    assert DIGITS in bytes(WebhookEvent.objects.get(pk=unrouted.pk).body)


def test_a_deployment_of_one_comune_records_no_comune_on_its_events(municipality, whatsapp):
    citizen = whatsapp.citizen(PHONE)

    citizen.says("Buongiorno")

    event = WebhookEvent.objects.get()
    assert (event.state, event.comune) == (WebhookEvent.State.PROCESSED, None)
    assert Municipality.objects.count() == 1


def _many_inbound_messages(comuni: list[int]) -> None:
    """60,000 received messages in the comuni on PostgreSQL, whose planner weighs the table's
    size (written by one INSERT ... SELECT); 6,000 on SQLite, whose planner takes the index
    whatever the size."""
    table = InboundMessage._meta.db_table
    if connection.vendor != "postgresql":
        now = timezone.now()
        InboundMessage.objects.bulk_create(
            InboundMessage(
                provider_id=f"wamid.explain.{n}",
                sender=f"+39347{n}",
                sent_at=now,
                kind="text",
                comune_id=comuni[n % len(comuni)],
            )
            for n in range(6000)
        )
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {table}")
        return
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (provider_id, sender, sender_user_id, profile_name, sent_at,"
            " kind, text, media_id, media_mime_type, media_filename, media_file,"
            " reply_to_provider_id, extra, state, handled_by, received_at, comune_id)"
            " SELECT 'wamid.explain.' || n, '+39347' || n, '', '', now(), 'text', '', '', '',"
            " '', '', '', '{}', 'processed', '', now() - n * interval '1 minute',"
            " (%s::bigint[])[1 + n %% %s] FROM generate_series(1, 60000) AS n",
            [comuni, len(comuni)],
        )
        cursor.execute(f"ANALYZE {table}")


def test_the_last_message_of_each_comune_is_read_from_its_index(two_comuni):
    """The health page's "last message received" steps back along (comune, received_at) for
    each comune, on a table too large to read whole."""
    _many_inbound_messages(list(Municipality.objects.values_list("pk", flat=True)))

    plan = inbound_last_received_query().explain()
    last = provider_health().comuni

    assert "inbound_comune_received" in plan
    # A whole read of the table: PostgreSQL's "Seq Scan on", SQLite's "SCAN" without an index.
    assert "Seq Scan on gateway_inboundmessage" not in plan
    assert not re.search(r"SCAN gateway_inboundmessage(?! USING)", plan)
    assert all(row.last_inbound_at is not None for row in last)
