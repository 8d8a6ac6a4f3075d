"""Two comuni on one deployment, each sealed from the other (issue #24, staff & scope): each
comune's staff and API tokens see only their own tickets, subscribers, services and audit trail;
another comune's ticket, media, export or forward link is a 404; the erasure of a citizen of
one leaves the other's citizen with the same phone untouched; a provider's help desk picks a
comune and sees that one's only; an account of one comune lands as it always did."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from subscribers.models import Subscriber
from subscribers.services import subscriber_erase
from subscribers.states import ConsentChannel
from subscribers.tests.factories import SubscriberFactory
from tests.fixtures.comuni import PHONE
from tickets.models import Forward, MunicipalService, Ticket
from tickets.tests.factories import MessageFactory, TicketFactory
from urp_portal.accounts.models import StaffMembership
from urp_portal.accounts.roles import Role
from urp_portal.accounts.services import api_token_create
from urp_portal.accounts.tests.factories import UserFactory, client_with_key, pass_second_factor
from urp_portal.audit.models import AuditEvent
from urp_portal.audit.services import audit_record
from urp_portal.gateway.models import InboundMessage
from urp_portal.gateway.states import MessageKind
from urp_portal.municipality.scope import comune_scope


@dataclass
class Side:
    """What one comune holds: a citizen (the same phone in both), their ticket with a photo,
    a forward of it to the comune's own Anagrafe, an audit row, and its staff."""

    comune: Any
    subscriber: Subscriber
    ticket: Ticket
    media: Any
    forward: Forward
    operator: Any
    administrator: Any


def _side(comune, tag: str) -> Side:
    with comune_scope(comune):
        subscriber = SubscriberFactory(comune=comune, number=PHONE, profile_name=f"Citt {tag}")
        ticket = TicketFactory(subscriber=subscriber, comune=comune)
        inbound = InboundMessage.objects.create(
            provider_id=f"wamid.iso.{tag}",
            sender=PHONE,
            sent_at=timezone.now(),
            kind=MessageKind.IMAGE,
            media_mime_type="image/jpeg",
            text=f"testo di {tag}",
            comune=comune,
        )
        inbound.media_file.save(f"{tag}.jpg", ContentFile(b"\xff\xd8\xff fake"), save=True)
        media = MessageFactory(ticket=ticket, kind=MessageKind.IMAGE, inbound=inbound, text="")
        forward = Forward.objects.create(
            ticket=ticket,
            service=MunicipalService.objects.get(slug="anagrafe"),
            at=timezone.now(),
            token=f"token-{tag}",
        )
        audit_record(actor=None, action="viewed", target_repr=f"traccia di {tag}")
    operator = UserFactory(username=f"op-{tag}", roles=[Role.OPERATOR], is_staff=True)
    administrator = UserFactory(username=f"adm-{tag}", roles=[Role.ADMINISTRATOR], is_staff=True)
    for user in (operator, administrator):
        StaffMembership.objects.create(user=user, comune=comune)
    return Side(comune, subscriber, ticket, media, forward, operator, administrator)


@pytest.fixture
def sides(two_comuni):
    cagliari, assemini = two_comuni
    return _side(cagliari, "cagliari"), _side(assemini, "assemini")


def _signed_in(client, user):
    client.force_login(user)
    pass_second_factor(client, user)
    return client


def test_load_preset_gives_each_comune_its_own_services(two_comuni):
    cagliari, assemini = two_comuni

    by_comune = {
        comune.slug: sorted(MunicipalService.all_comuni.filter(comune=comune).values_list("slug"))
        for comune in (cagliari, assemini)
    }

    assert by_comune["cagliari"] == by_comune["assemini"]
    assert ("anagrafe",) in by_comune["cagliari"]


def test_each_comunes_operator_sees_only_its_own_tickets_services_and_media(client, sides):
    ours, theirs = sides
    _signed_in(client, ours.operator)

    tickets = client.get("/api/v1/tickets/").json()["results"]
    services = client.get("/api/v1/services/").json()["results"]
    pages = {
        "own conversation": client.get(f"/admin/tickets/ticket/{ours.ticket.pk}/conversation/"),
        "own media": client.get(f"/tickets/media/{ours.media.pk}/"),
        "other conversation": client.get(f"/admin/tickets/ticket/{theirs.ticket.pk}/conversation/"),
        "other media": client.get(f"/tickets/media/{theirs.media.pk}/"),
        "other via API": client.get(f"/api/v1/tickets/{theirs.ticket.pk}/"),
        "other forward link": client.get(f"/tickets/inoltri/{theirs.forward.token}/"),
    }

    assert [t["id"] for t in tickets] == [ours.ticket.pk]
    assert len(services) == MunicipalService.all_comuni.filter(comune=ours.comune).count()
    assert {name: r.status_code for name, r in pages.items()} == {
        "own conversation": 200,
        "own media": 200,
        "other conversation": 404,
        "other media": 404,
        "other via API": 404,
        "other forward link": 404,
    }


def test_each_comunes_token_sees_only_its_own_tickets_and_subscribers(sides):
    ours, theirs = sides
    _token, key = api_token_create(name="gestionale", role="administrator", comune_slug="assemini")
    api = client_with_key(key)

    listed = api.get("/api/v1/tickets/").json()["results"]
    own = api.get(f"/api/v1/tickets/{theirs.ticket.pk}/")
    other = api.get(f"/api/v1/tickets/{ours.ticket.pk}/")
    other_export = api.get(f"/api/v1/subscribers/{ours.subscriber.pk}/export/")
    own_export = api.get(f"/api/v1/subscribers/{theirs.subscriber.pk}/export/")
    lookup = api.get("/api/v1/subscribers/", {"number": PHONE}).json()

    assert [t["id"] for t in listed] == [theirs.ticket.pk]
    assert own.status_code == 200
    assert other.status_code == 404
    assert other_export.status_code == 404
    assert own_export.status_code == 200
    # The same phone is two citizens: the lookup finds Assemini's only.
    assert [found["id"] for found in lookup["results"]] == [theirs.subscriber.pk]


def test_the_gdpr_export_and_the_audit_trail_are_the_comunes_own(client, sides):
    ours, theirs = sides
    _signed_in(client, ours.administrator)

    other_export = client.get(f"/admin/subscribers/subscriber/{theirs.subscriber.pk}/export/")
    own_export = client.get(f"/admin/subscribers/subscriber/{ours.subscriber.pk}/export/")
    trail = client.get("/admin/audit/auditevent/").content.decode()
    trail_csv = b"".join(client.get("/admin/audit/auditevent/esporta/").streaming_content)

    assert other_export.status_code == 404
    assert own_export.status_code == 200
    assert "testo di assemini" not in own_export.content.decode()
    assert "traccia di cagliari" in trail
    assert "traccia di assemini" not in trail
    assert b"traccia di cagliari" in trail_csv
    assert b"traccia di assemini" not in trail_csv


def test_erasing_a_citizen_of_one_comune_leaves_the_other_comunes_citizen_untouched(sides):
    ours, theirs = sides

    result = subscriber_erase(
        subscriber=ours.subscriber,
        reason="Richiesta dell'interessato",
        channel=ConsentChannel.ADMIN,
        actor="test",
    )

    assert result.erased
    assert Subscriber.all_comuni.get(pk=ours.subscriber.pk).number is None
    other = Subscriber.all_comuni.get(pk=theirs.subscriber.pk)
    assert other.number == PHONE
    assert other.profile_name == "Citt assemini"
    texts = dict(InboundMessage.objects.values_list("comune__slug", "text"))
    assert texts == {"cagliari": "", "assemini": "testo di assemini"}
    assert InboundMessage.objects.get(comune=theirs.comune).media_file


def test_a_help_desk_account_picks_a_comune_and_sees_that_ones_only(client, sides):
    ours, theirs = sides
    desk = UserFactory(username="help-desk", roles=[Role.OPERATOR], is_staff=True)
    for side in sides:
        StaffMembership.objects.create(user=desk, comune=side.comune)
    _signed_in(client, desk)

    before = client.get("/admin/")
    api_before = client.get("/api/v1/tickets/")
    picker = client.get(before["Location"])
    chosen = client.post(
        "/admin/comune/", {"comune": theirs.comune.pk, "next": "/admin/tickets/ticket/"}
    )
    listed = client.get("/api/v1/tickets/").json()["results"]
    header = client.get("/admin/").content.decode()

    assert before.status_code == 302
    assert before["Location"].startswith("/admin/comune/?next=")
    assert api_before.status_code == 403
    assert picker.status_code == 200
    assert "Cagliari" in picker.content.decode() and "Assemini" in picker.content.decode()
    assert chosen.status_code == 302 and chosen["Location"] == "/admin/tickets/ticket/"
    assert [t["id"] for t in listed] == [theirs.ticket.pk]
    assert f"<strong>{theirs.comune.name}</strong>" in header and "cambia" in header
    assert client.get(f"/admin/tickets/ticket/{ours.ticket.pk}/conversation/").status_code == 404


def test_a_superuser_picks_among_every_comune_served(client, sides):
    ours, theirs = sides
    root = UserFactory(username="root", is_staff=True, is_superuser=True)
    _signed_in(client, root)

    before = client.get("/admin/tickets/ticket/")
    client.post("/admin/comune/", {"comune": ours.comune.pk})
    listed = client.get("/api/v1/tickets/").json()["results"]
    configuration = client.get(f"/admin/municipality/municipality/{theirs.comune.pk}/change/")

    assert before.status_code == 302 and before["Location"].startswith("/admin/comune/")
    assert [t["id"] for t in listed] == [ours.ticket.pk]
    # Another comune's configuration is not there: 404, as any other comune's object.
    assert configuration.status_code == 404


def test_a_help_desk_cannot_pick_a_comune_it_does_not_belong_to(client, sides):
    ours, theirs = sides
    _signed_in(client, ours.operator)

    refused = client.post("/admin/comune/", {"comune": theirs.comune.pk})
    listed = client.get("/api/v1/tickets/").json()["results"]

    assert refused.status_code == 200
    assert "Scegli uno dei comuni" in refused.content.decode()
    assert [t["id"] for t in listed] == [ours.ticket.pk]


def test_an_account_of_one_comune_lands_as_before_and_its_poll_asks_nothing_for_its_scope(
    client, sides
):
    ours, _theirs = sides
    _signed_in(client, ours.operator)

    landing = client.get("/admin/")
    client.get("/admin/tickets/ticket/live/")
    with CaptureQueriesContext(connection) as queries:
        poll = client.get("/admin/tickets/ticket/live/")

    assert landing.status_code == 200
    assert f"<strong>{ours.comune.name}</strong>" in landing.content.decode()
    assert "cambia" not in landing.content.decode()
    assert poll.status_code == 200
    scope_queries = [
        q["sql"]
        for q in queries.captured_queries
        if "staffmembership" in q["sql"] or "municipality_municipality" in q["sql"]
    ]
    assert scope_queries == []


def test_a_membership_taken_away_closes_the_comune_within_the_recheck(client, sides, settings):
    ours, _theirs = sides
    _signed_in(client, ours.operator)
    assert client.get("/api/v1/tickets/").status_code == 200

    StaffMembership.objects.filter(user=ours.operator).delete()
    session = client.session
    session["_urp_comune_choices_until"] = 0  # the minute has passed
    session.save()
    listed = client.get("/api/v1/tickets/")

    # No membership left: the account works for the active comune, and there is none here.
    assert listed.status_code == 403


def test_unscoped_code_cannot_read_either_comunes_rows(sides):
    from urp_portal.municipality.scope import ComuneScopeMissing

    with pytest.raises(ComuneScopeMissing):
        list(Ticket.objects.all())
    with pytest.raises(ComuneScopeMissing):
        list(AuditEvent.objects.all())
    assert Ticket.all_comuni.count() == 2


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_comune_picker_is_accessible_and_pictured(browser, live_server, two_comuni):
    """The help desk's first page after signing in: "Scegli il comune", at a laptop's and a
    tablet's size (docs/screenshots), with no serious axe-core violation (WCAG 2.1 AA)."""
    from tests.fixtures.browser import LAPTOP, PASSWORD, TABLET, italian_context, screenshot
    from tests.test_console_accessibility import _violations

    desk = UserFactory(
        username="sportello", first_name="Sara", roles=[Role.OPERATOR], is_staff=True
    )
    desk.set_password(PASSWORD)
    desk.save()
    for comune in two_comuni:
        StaffMembership.objects.create(user=desk, comune=comune)
    found = {}
    for name, viewport in (
        ("comune-picker.png", LAPTOP),
        ("comune-picker-tablet.png", TABLET),
    ):
        context = italian_context(browser, viewport=viewport)
        page = context.new_page()
        page.goto(f"{live_server.url}/admin/login/?next=/admin/")
        page.fill("#id_username", "sportello")
        page.fill("#id_password", PASSWORD)
        page.click("input[type=submit]")
        page.wait_for_url("**/admin/comune/**")
        screenshot(page, name)
        found[name] = (_violations(page), page.locator(".comune-pick-list button").count())
        context.close()

    assert found == {
        "comune-picker.png": ([], 2),
        "comune-picker-tablet.png": ([], 2),
    }


def test_a_service_token_names_its_service_within_its_comune(sides):
    ours, theirs = sides
    _token, key = api_token_create(
        name="anagrafe", role="service", service_slug="anagrafe", comune_slug="assemini"
    )
    api = client_with_key(key)

    listed = api.get("/api/v1/tickets/").json()["results"]
    other = api.get(f"/api/v1/tickets/{ours.ticket.pk}/")

    # Both comuni have an "anagrafe"; Assemini's sees the ticket forwarded to it, not Cagliari's.
    assert [t["id"] for t in listed] == [theirs.ticket.pk]
    assert other.status_code == 404


def test_the_deadline_warnings_run_per_comune_to_each_comunes_own_operators(
    sides, mailoutbox, django_capture_on_commit_callbacks
):
    from tickets.tasks import tickets_deadline_warnings_task

    ours, theirs = sides
    for side in sides:
        side.operator.email = f"{side.operator.username}@example.org"
        side.operator.save(update_fields=["email"])
        Ticket.all_comuni.filter(pk=side.ticket.pk).update(due_at=timezone.now())

    with django_capture_on_commit_callbacks(execute=True):
        tickets_deadline_warnings_task()

    warned = dict(Ticket.all_comuni.values_list("comune__slug", "deadline_warned_at"))
    assert all(warned.values()) and set(warned) == {"cagliari", "assemini"}
    sent = {tuple(mail.to): mail.subject for mail in mailoutbox}
    assert sent == {
        ("op-cagliari@example.org",): f"Richiesta {ours.ticket.number} in ritardo",
        ("op-assemini@example.org",): f"Richiesta {theirs.ticket.number} in ritardo",
    }


def test_the_live_console_tells_a_comunes_staff_of_its_own_changes_only(sides):
    from tickets.live import Cursor, console_changes_since

    ours, _theirs = sides
    Ticket.all_comuni.update(unread_count=1, state="new")

    with comune_scope(ours.comune):
        found = console_changes_since(user=ours.operator, cursor=Cursor(message=0, event=0))

    assert {change.ticket for change in found.changes} == {ours.ticket.pk}
    assert found.waiting == 1


def test_a_consoles_cursor_is_the_deployments_top_and_its_poll_stays_in_its_comune(sides):
    # The cursor only says "from here": the comune's own top would be found by walking the
    # messages' index down past every other comune's rows (3 s with 100 comuni).
    from tickets.live import console_changes_since, console_cursor

    ours, theirs = sides
    with comune_scope(ours.comune):
        start = console_cursor()
    theirs_later = MessageFactory(ticket=theirs.ticket, text="dopo")
    with comune_scope(ours.comune):
        ours_later = MessageFactory(ticket=ours.ticket, text="anche dopo")
        found = console_changes_since(user=ours.operator, cursor=start)

    assert start.message == theirs.media.pk
    assert {c.key for c in found.changes if c.fresh} == {f"m{ours_later.pk}"}
    assert found.cursor.message == ours_later.pk > theirs_later.pk


def test_a_poll_moves_its_cursor_past_the_other_comunes_messages(sides):
    # Left at its comune's last row, every later poll would walk again all the other comuni's
    # rows written since: a cost growing all day with the deployment's traffic.
    from tickets.live import console_changes_since, console_cursor

    ours, theirs = sides
    with comune_scope(ours.comune):
        start = console_cursor()
    theirs_last = [MessageFactory(ticket=theirs.ticket, text=f"altro {n}") for n in range(3)][-1]

    with comune_scope(ours.comune):
        found = console_changes_since(user=ours.operator, cursor=start)

    assert not [change for change in found.changes if change.fresh]  # none new of ours
    assert found.cursor.message == theirs_last.pk
