"""The console as the URP's operators use it: inbox, conversation page, replies and templates.
What services' staff see is in test_console_service_staff."""

import datetime as dt

from django.contrib.admin.templatetags.admin_list import items_for_result
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tickets import services
from tickets.models import Forward, Ticket
from tickets.states import TicketState
from tickets.tests.factories import (
    CannedAnswerFactory,
    MessageFactory,
    MunicipalServiceFactory,
    TicketFactory,
    operator,
    service_staff,
)
from urp_portal.gateway.models import InboundMessage, OutboundMessage
from urp_portal.gateway.states import MessageKind


def conversation_url(ticket):
    return reverse("admin:tickets_ticket_conversation", args=[ticket.pk])


def test_the_inbox_lists_late_tickets_first_with_a_badge(urp):
    now = timezone.now()
    calm = TicketFactory(state=TicketState.OPEN, due_at=now + dt.timedelta(days=2))
    late = TicketFactory(state=TicketState.OPEN, due_at=now - dt.timedelta(hours=1))
    new = TicketFactory(state=TicketState.NEW, due_at=now + dt.timedelta(days=2))

    response = urp.get(reverse("admin:tickets_ticket_changelist"))

    assert response.status_code == 200
    listed = [t.pk for t in response.context["cl"].result_list]
    assert listed == [late.pk, new.pk, calm.pk]
    html = response.content.decode()
    assert 'class="badge late"' in html
    assert response.context["inbox"] == {"late": 1, "today": 0, "new": 1}


def test_the_inbox_draws_its_rows_as_the_admin_would(urp):
    now = timezone.now()
    service = MunicipalServiceFactory(name="Tributi <TARI>")
    late = TicketFactory(state=TicketState.OPEN, due_at=now - dt.timedelta(hours=1))
    MessageFactory(ticket=late, text="<script>alert('x')</script> & la TARI?")
    TicketFactory(state=TicketState.FORWARDED, service=service, category="report")
    TicketFactory(state=TicketState.CLOSED, assignee=operator(first_name="Anna"))

    response = urp.get(reverse("admin:tickets_ticket_changelist"))

    cl = response.context["cl"]
    drawn = ["".join(row) for row in cl.result_rows()]
    by_django = ["".join(items_for_result(cl, ticket, None)) for ticket in cl.result_list]
    assert drawn == by_django
    html = response.content.decode()
    # Each row names its ticket and its place in the inbox's order (the live console's patches).
    assert all(
        f'<tr data-ticket="{row.ticket_id}" data-order="{row.order_key}">{"".join(row)}</tr>'
        in html
        for row in cl.result_rows()
    )
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; la TARI?" in html
    assert "Tributi &lt;TARI&gt;" in html


def test_the_inbox_finds_a_ticket_by_number_and_by_text(urp):
    wanted = TicketFactory()
    MessageFactory(ticket=wanted, text="Certificato di residenza urgente")
    other = TicketFactory()
    MessageFactory(ticket=other, text="Orari della biblioteca")
    url = reverse("admin:tickets_ticket_changelist")

    by_number = urp.get(url, {"q": f"#{wanted.pk}"})
    by_text = urp.get(url, {"q": "residenza"})

    assert [t.pk for t in by_number.context["cl"].result_list] == [wanted.pk]
    assert [t.pk for t in by_text.context["cl"].result_list] == [wanted.pk]


def test_the_deadline_filter_shows_what_is_late(urp):
    now = timezone.now()
    late = TicketFactory(state=TicketState.OPEN, due_at=now - dt.timedelta(hours=1))
    TicketFactory(state=TicketState.OPEN, due_at=now + dt.timedelta(days=3))

    response = urp.get(reverse("admin:tickets_ticket_changelist"), {"scadenza": "late"})

    assert [t.pk for t in response.context["cl"].result_list] == [late.pk]


def _queries_of(client, url, params=None) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, params or {})
    assert response.status_code == 200
    return [query["sql"] for query in captured.captured_queries]


def _add_tickets(count, operator_user):
    service = MunicipalServiceFactory()
    for _ in range(count):
        ticket = TicketFactory(assignee=operator_user, service=service, state=TicketState.OPEN)
        # Several matching messages per ticket: a join would list the ticket once per message.
        MessageFactory(ticket=ticket, text="C'è una buca in via Roma")
        MessageFactory(ticket=ticket, text="La buca è ancora lì")


INBOX_VIEWS = [
    {},
    {"state__exact": "open"},
    {"scadenza": "late"},
    {"operatore": "me"},
    {"q": "buca"},
    {"q": "buca Roma"},
    {"q": "#1"},
    {"p": "2"},
]


def test_the_inbox_runs_the_same_queries_for_three_tickets_and_for_full_pages(
    urp, django_assert_max_num_queries
):
    url = reverse("admin:tickets_ticket_changelist")
    _add_tickets(3, urp.user)
    # The first request reads who may see tickets; with Redis the next ones find it remembered
    # (tickets/access.py): compared here is the page, not that first read.
    urp.get(url)
    few = {str(view): len(_queries_of(urp, url, view)) for view in INBOX_VIEWS if "p" not in view}

    _add_tickets(70, urp.user)  # more than a page of 50
    many = {str(view): len(_queries_of(urp, url, view)) for view in INBOX_VIEWS if "p" not in view}
    searched = urp.get(url, {"q": "buca"})
    with django_assert_max_num_queries(16):
        second_page = urp.get(url, {"p": "2"})

    assert many == few
    assert len(searched.context["cl"].result_list) == 50
    assert searched.context["cl"].result_count == 73  # each ticket once, not once per message
    assert len(second_page.context["cl"].result_list) == 23
    # One of them says where the page's live updates start from (tickets/live.py).
    assert max(many.values()) <= 17


def test_the_inbox_search_never_spreads_a_distinct_over_the_whole_inbox(urp):
    _add_tickets(3, urp.user)

    queries = _queries_of(urp, reverse("admin:tickets_ticket_changelist"), {"q": "buca"})

    ticket_queries = [q for q in queries if 'FROM "tickets_ticket"' in q]
    assert ticket_queries
    assert not [q for q in ticket_queries if "DISTINCT" in q]


def test_the_conversation_page_runs_the_same_queries_for_a_short_and_a_long_chat(urp):
    def chat_of(size):
        ticket = TicketFactory()
        for n in range(size):
            inbound = InboundMessage.objects.create(
                provider_id=f"wamid.{ticket.pk}.{n}",
                sender=ticket.subscriber.number,
                sent_at=timezone.now(),
                kind=MessageKind.TEXT,
            )
            MessageFactory(ticket=ticket, inbound=inbound)
            services.ticket_reply(ticket=ticket, actor=urp.user, text=f"Risposta {n}")
        services.ticket_add_note(ticket=ticket, actor=urp.user, text="Nota")
        return ticket

    CannedAnswerFactory.create_batch(3)
    short, long = chat_of(2), chat_of(60)

    short_queries = _queries_of(urp, conversation_url(short))
    long_response = urp.get(conversation_url(long))
    long_queries = _queries_of(urp, conversation_url(long))

    # 24: the page's 20 reads, the audit trail's one insert (who opened the conversation), and
    # the live updates' three (where they start, the colleagues on it, the ticks' signature).
    assert len(long_queries) == len(short_queries) <= 24
    assert len(long_response.context["rows"]) == 121


def test_the_conversation_shows_bubbles_ticks_media_and_the_window(urp, municipality):
    ticket = TicketFactory(subscriber__first_name="Anna")
    inbound = InboundMessage.objects.create(
        provider_id="wamid.voice",
        sender=ticket.subscriber.number,
        sent_at=timezone.now(),
        kind=MessageKind.VOICE,
        media_mime_type="audio/ogg",
    )
    inbound.media_file.save("voce.ogg", ContentFile(b"OggS fake voice"), save=True)
    MessageFactory(ticket=ticket, text="", kind=MessageKind.VOICE, inbound=inbound)
    reply = services.ticket_reply(ticket=ticket, actor=urp.user, text="Ricevuto")
    OutboundMessage.objects.filter(pk=reply.outbound_id).update(state="read")

    response = urp.get(conversation_url(ticket))

    html = response.content.decode()
    media_url = reverse("tickets:media", args=[ticket.messages.first().pk])
    assert f'<audio controls preload="metadata" src="{media_url}">' in html
    assert 'class="ticks read"' in html
    assert "Finestra di 24 ore aperta" in html
    assert urp.get(media_url)["Content-Type"] == "audio/ogg"


def test_outside_the_window_the_reply_box_asks_for_a_template(urp):
    ticket = TicketFactory(subscriber__last_inbound_at=timezone.now() - dt.timedelta(hours=25))

    response = urp.get(conversation_url(ticket))

    assert "Finestra di 24 ore chiusa" in response.content.decode()
    assert response.context["reply_form"].fields["text"].disabled is True
    assert "template" in response.context["reply_form"].fields


def test_an_operator_replies_with_a_canned_answer_from_the_page(urp):
    ticket = TicketFactory(subscriber__first_name="Anna")
    answer = CannedAnswerFactory(text="Buongiorno {nome}, la richiesta {numero} è presa in carico.")

    response = urp.post(
        conversation_url(ticket), {"op": "reply", "canned_answer": answer.pk, "text": ""}
    )

    assert response.status_code == 302
    sent = OutboundMessage.objects.get(purpose="reply")
    assert sent.text == f"Buongiorno Anna, la richiesta #{ticket.pk} è presa in carico."
    ticket.refresh_from_db()
    assert (ticket.state, ticket.assignee, ticket.first_response_at is not None) == (
        TicketState.OPEN,
        urp.user,
        True,
    )


def test_an_operator_forwards_from_the_page_and_the_service_gets_an_email(
    urp, mailoutbox, django_capture_on_commit_callbacks, eager_tasks
):
    service = MunicipalServiceFactory(name="Lavori pubblici")
    staff = service_staff(service, email="lavori@comune.example.it")
    ticket = TicketFactory()
    MessageFactory(ticket=ticket, text="C'è una buca enorme")

    with django_capture_on_commit_callbacks(execute=True):
        urp.post(
            conversation_url(ticket),
            {"op": "forward", "service": service.pk, "note": "Via Roma 3"},
        )

    forward = Forward.objects.get()
    assert forward.ticket == ticket
    (mail,) = mailoutbox
    assert staff.email in mail.to
    assert f"/tickets/inoltri/{forward.token}/" in mail.body
    assert "Via Roma 3" in mail.body


def test_bulk_assign_to_me(urp):
    tickets = TicketFactory.create_batch(3)

    urp.post(
        reverse("admin:tickets_ticket_changelist"),
        {"action": "assign_to_me", "_selected_action": [t.pk for t in tickets]},
    )

    assert set(Ticket.objects.values_list("assignee", flat=True)) == {urp.user.pk}
    assert set(Ticket.objects.values_list("state", flat=True)) == {TicketState.OPEN}


def _approved_template(name="aggiornamento_richiesta", **kwargs):
    from broadcasts.tests.factories import MessageTemplateFactory

    return MessageTemplateFactory(
        name=name, body="Gentile {{1}}, la sua richiesta {{2}} è stata aggiornata.", **kwargs
    )


def test_outside_the_window_an_operator_sends_an_approved_template_from_the_page(urp):
    _approved_template()
    ticket = TicketFactory(subscriber__last_inbound_at=timezone.now() - dt.timedelta(days=3))

    urp.post(
        conversation_url(ticket),
        {
            "op": "reply",
            "template": "aggiornamento_richiesta",
            "parameter_1": "Anna",
            "parameter_2": "#7",
        },
    )

    sent = OutboundMessage.objects.get(purpose="reply")
    assert (sent.template_name, sent.template_parameters, sent.text) == (
        "aggiornamento_richiesta",
        ["Anna", "#7"],
        "",
    )
    reply = ticket.messages.get(template_name="aggiornamento_richiesta")
    assert reply.text == "Gentile Anna, la sua richiesta #7 è stata aggiornata."


def test_outside_the_window_the_reply_box_offers_only_approved_templates(urp):
    from broadcasts.states import TemplateApproval

    _approved_template()
    _approved_template(name="in_revisione", approval_status=TemplateApproval.PENDING)
    ticket = TicketFactory(subscriber__last_inbound_at=timezone.now() - dt.timedelta(days=3))

    form = urp.get(conversation_url(ticket)).context["reply_form"]

    assert [value for value, _label in form.fields["template"].choices] == [
        "",
        "aggiornamento_richiesta",
    ]
    assert {"parameter_1", "parameter_2"} <= set(form.fields)


def test_the_console_refuses_an_unknown_unapproved_or_half_filled_template_with_a_message(urp):
    from broadcasts.states import TemplateApproval

    _approved_template()
    _approved_template(name="in_revisione", approval_status=TemplateApproval.PENDING)
    ticket = TicketFactory(subscriber__last_inbound_at=timezone.now() - dt.timedelta(days=3))

    unknown = urp.post(
        conversation_url(ticket), {"op": "reply", "template": "non_esiste"}, follow=True
    )
    unapproved = urp.post(
        conversation_url(ticket), {"op": "reply", "template": "in_revisione"}, follow=True
    )
    half = urp.post(
        conversation_url(ticket),
        {"op": "reply", "template": "aggiornamento_richiesta", "parameter_1": "Anna"},
        follow=True,
    )

    # Not among the approved templates the reply box offers: the form says so.
    assert "non_esiste non è tra quelle disponibili" in unknown.content.decode()
    assert "in_revisione" in unapproved.content.decode()
    assert "{{2}}" in half.content.decode()
    assert not OutboundMessage.objects.filter(purpose="reply").exists()


def test_the_official_channel_button_closes_and_redirects_the_citizen(urp):
    ticket = TicketFactory()

    urp.post(conversation_url(ticket), {"op": "official_channel"})

    ticket.refresh_from_db()
    assert ticket.state == TicketState.CLOSED
    assert OutboundMessage.objects.get(purpose="official_channel").to == ticket.subscriber.number


def test_an_error_the_operator_can_fix_is_shown_on_the_page(urp):
    ticket = TicketFactory(state=TicketState.RESOLVED)

    response = urp.post(conversation_url(ticket), {"op": "resolve"}, follow=True)

    assert response.status_code == 200
    assert "non può passare" in response.content.decode()


def test_a_voice_note_is_served_in_ranges_so_the_player_can_seek(urp):
    ticket = TicketFactory()
    inbound = InboundMessage.objects.create(
        provider_id="wamid.ranged",
        sender=ticket.subscriber.number,
        sent_at=timezone.now(),
        kind=MessageKind.VOICE,
        media_mime_type="audio/ogg",
    )
    inbound.media_file.save("voce.ogg", ContentFile(b"OggS0123456789"), save=True)
    message = MessageFactory(ticket=ticket, text="", kind=MessageKind.VOICE, inbound=inbound)
    url = reverse("tickets:media", args=[message.pk])

    head = urp.get(url, HTTP_RANGE="bytes=0-3")
    tail = urp.get(url, HTTP_RANGE="bytes=-4")
    whole = urp.get(url)

    assert (head.status_code, head["Content-Range"], b"".join(head.streaming_content)) == (
        206,
        "bytes 0-3/14",
        b"OggS",
    )
    assert (tail["Content-Range"], b"".join(tail.streaming_content)) == ("bytes 10-13/14", b"6789")
    assert (whole.status_code, whole["Accept-Ranges"]) == (200, "bytes")


def test_a_failed_reply_says_in_italian_what_the_providers_error_means(urp):
    from tickets.states import MessageOrigin
    from urp_portal.gateway.states import OutboundState

    ticket = TicketFactory()
    outbound = OutboundMessage.objects.create(
        to=ticket.subscriber.number,
        purpose="reply",
        template_name="notizie",
        state=OutboundState.FAILED,
        error_code="131049",
        error_message="This message was not delivered to maintain healthy ecosystem engagement.",
    )
    MessageFactory(ticket=ticket, origin=MessageOrigin.OPERATOR, text="Notizie", outbound=outbound)

    html = urp.get(conversation_url(ticket)).content.decode()

    assert "131049: Meta ha trattenuto il messaggio promozionale" in html
    assert "Non si ritenta" in html
