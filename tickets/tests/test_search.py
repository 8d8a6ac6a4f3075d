"""The inbox's search: the ticket's number, the citizen's names and number, the chat's words.

On PostgreSQL the words are looked up in each ticket's search document, kept by triggers
(migration 0007); on SQLite, the embedded default, every word is a "contains" on the messages.
"""

import datetime as dt

import pytest
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from subscribers.models import Subscriber
from subscribers.services import subscriber_erase
from tickets import selectors, services
from tickets.admin import changelist
from tickets.models import Message, Ticket, TicketSearch
from tickets.selectors import ticket_list_search
from tickets.states import TicketState
from tickets.tests.factories import MessageFactory, TicketFactory

pytestmark = pytest.mark.django_db
INBOX = "admin:tickets_ticket_changelist"


def found(term: str) -> list[int]:
    return sorted(ticket_list_search(tickets=Ticket.objects.all(), term=term).values_list("pk"))


def pks(*tickets: Ticket) -> list[tuple[int]]:
    return sorted((t.pk,) for t in tickets)


def test_the_inbox_finds_a_ticket_by_a_word_of_any_of_its_messages(urp):
    wanted = TicketFactory()
    MessageFactory(ticket=wanted, text="Buongiorno, vi scrivo per la mensa scolastica")
    services.ticket_reply(ticket=wanted, actor=urp.user, text="Le serve il modulo ISEE")
    services.ticket_add_note(ticket=wanted, actor=urp.user, text="Sentire la dirigente")
    other = TicketFactory()
    MessageFactory(ticket=other, text="Orari della biblioteca")
    url = reverse(INBOX)

    listed = {
        term: [t.pk for t in urp.get(url, {"q": term}).context["cl"].result_list]
        for term in ("mensa", "isee", "dirigente", "biblioteca", "mensa biblioteca")
    }

    assert listed == {
        "mensa": [wanted.pk],
        "isee": [wanted.pk],
        "dirigente": [wanted.pk],
        "biblioteca": [other.pk],
        "mensa biblioteca": [],
    }


def test_every_word_must_be_in_the_citizen_s_names_or_in_the_chat():
    deiana = TicketFactory(subscriber__first_name="Rita", subscriber__last_name="Deiana")
    MessageFactory(ticket=deiana, text="C'è una buca in via Roma")
    other_deiana = TicketFactory(subscriber__last_name="Deiana")
    MessageFactory(ticket=other_deiana, text="Il lampione è spento")
    MessageFactory(text="Un'altra buca")

    assert found("deiana buca") == pks(deiana)
    assert found("Deiana") == pks(deiana, other_deiana)
    assert found('"via roma"') == pks(deiana)


def test_capitals_and_accents_do_not_count():
    ticket = TicketFactory()
    MessageFactory(ticket=ticket, text="Perché la TARI è così alta? Città di Cagliari")

    assert found("perché tari") == pks(ticket)
    if connection.vendor == "postgresql":
        # Written without accents, as many type on a phone or a keyboard without them.
        assert found("PERCHE citta") == pks(ticket)
    else:
        # SQLite's "contains" folds the capitals of plain letters only.
        assert found("PERCHÉ") == []


def test_a_star_finds_the_beginning_of_a_word():
    ticket = TicketFactory()
    MessageFactory(ticket=ticket, text="Riguarda il passo carrabile")
    MessageFactory(text="Una carrozzina")

    assert found("carrab*") == pks(ticket)
    if connection.vendor == "postgresql":
        # Whole words otherwise: "carrab" is no word of the chat.
        assert found("carrab") == []


def test_a_number_finds_the_ticket_the_phone_or_the_text():
    ticket = TicketFactory(subscriber__number="+393401112223")
    MessageFactory(ticket=ticket, text="La pratica 2026/118 è ferma")
    other = TicketFactory()

    assert found(f"#{ticket.pk}") == pks(ticket)
    assert (other.pk,) in found(str(other.pk))
    assert found("3401112223") == pks(ticket)
    assert found("340 111 2223") == pks(ticket)
    assert found("pratica 2026/118") == pks(ticket)


def test_a_citizen_s_corrected_name_is_found_and_the_old_one_no_longer():
    ticket = TicketFactory(subscriber__first_name="Eufrasia", subscriber__last_name="Pizzali")
    MessageFactory(ticket=ticket, text="Buongiorno")

    Subscriber.objects.filter(pk=ticket.subscriber_id).update(last_name="Pitzalis")

    assert found("pitzalis") == pks(ticket)
    assert found("pizzali") == []


def test_a_message_written_in_bulk_or_moved_is_found_where_it_is():
    first, second = TicketFactory(), TicketFactory()
    Message.objects.bulk_create(
        [
            Message(ticket=first, origin="citizen", text="Segnalo una frana", at=timezone.now()),
            Message(ticket=second, origin="citizen", text="Alberi caduti", at=timezone.now()),
        ]
    )
    assert found("frana") == pks(first)

    Message.objects.filter(text__contains="frana").update(ticket=second)

    assert found("frana") == pks(second)
    assert found("alberi frana") == pks(second)


def test_erasure_leaves_no_word_of_the_citizen_in_the_search(municipality):
    ticket = TicketFactory(
        subscriber__first_name="Eufrasia", subscriber__number="+393471234567", state="resolved"
    )
    MessageFactory(ticket=ticket, text="Sono Eufrasia Pitzalis, abito in via Scano 12")
    neighbour = TicketFactory(subscriber__first_name="Gavino")
    MessageFactory(ticket=neighbour, text="Abito in via Scano anche io")
    assert found("pitzalis") == pks(ticket)

    subscriber_erase(
        subscriber=ticket.subscriber, reason="Richiesta", channel="command", actor="test"
    )

    assert found("pitzalis") == found("eufrasia") == []
    assert found("scano") == pks(neighbour)
    documents = " ".join(str(d) for d in TicketSearch.objects.values_list("document", flat=True))
    assert "pitzalis" not in documents and "eufrasia" not in documents
    if connection.vendor == "postgresql":
        assert "gavino" in documents  # the scan reads the documents: the neighbour's are there


def test_a_chat_too_long_to_index_whole_still_takes_messages():
    ticket = TicketFactory()
    # A note of 150,000 different words: more than a search document can hold (1 MB).
    MessageFactory(ticket=ticket, text=" ".join(f"parola{n}" for n in range(150_000)))

    reply = MessageFactory(ticket=ticket, text="Ultima risposta")

    assert Message.objects.filter(ticket=ticket).count() == 2
    assert reply.pk is not None
    assert found("parola0") == pks(ticket)
    if connection.vendor == "postgresql":
        # Only the beginning of such a chat is searched.
        assert found("parola149999") == []


def test_many_matching_tickets_are_listed_in_the_inbox_s_order_within_a_fixed_query_count(
    urp, monkeypatch
):
    now = timezone.now()
    made = []
    for n, state in enumerate(["resolved", "open", "new", "open", "closed", "new", "open"]):
        late = n % 2 == 0 and state in TicketState.pending()
        due = now + dt.timedelta(hours=-n - 1 if late else n + 1)
        ticket = TicketFactory(state=state, due_at=due)
        MessageFactory(ticket=ticket, text="C'è una buca")
        made.append(ticket)
    MessageFactory(ticket=TicketFactory(state="open"), text="Nessuna")
    url = reverse(INBOX)
    monkeypatch.setattr(admin.site._registry[Ticket], "list_per_page", 2)
    with CaptureQueriesContext(connection) as few_queries:
        few = urp.get(url, {"q": "buca"})
    expected = [t.pk for t in urp.get(url, {"q": "buca", "all": ""}).context["cl"].result_list]
    # Over the cap the inbox stops counting and reads the groups from their indexes; a word in
    # more than FEW_MATCHES chats is checked ticket by ticket on the way.
    monkeypatch.setattr(selectors.search, "FEW_MATCHES", 0)
    monkeypatch.setattr(changelist, "SEARCH_COUNT_CAP", 3)
    monkeypatch.setattr(changelist, "COUNT_CAP", 3)  # SQLite's path

    with CaptureQueriesContext(connection) as many_queries:
        many = urp.get(url, {"q": "buca"})
    with CaptureQueriesContext(connection) as page_two_queries:
        page_two = urp.get(url, {"q": "buca", "p": "2"})

    assert sorted(expected) == sorted(t.pk for t in made)
    assert expected[:2] == [t.pk for t in few.context["cl"].result_list]
    assert expected[0] in [t.pk for t in made if t.due_at < now]
    assert [t.pk for t in many.context["cl"].result_list] == expected[:2]
    assert many.context["cl"].result_count_capped
    assert page_two.context["cl"].result_list[0].pk == expected[2]
    assert len(many_queries) == len(page_two_queries) <= 16
    assert len(few_queries) <= 16


def test_the_walk_through_many_matches_runs_without_parallel_workers_and_leaves_none_set(
    urp, monkeypatch
):
    if connection.vendor != "postgresql":
        return  # the walk is PostgreSQL's path (tickets/admin/changelist.py)
    for _ in range(4):
        MessageFactory(ticket=TicketFactory(state="open"), text="C'è una buca")
    monkeypatch.setattr(selectors.search, "FEW_MATCHES", 0)
    monkeypatch.setattr(changelist, "SEARCH_COUNT_CAP", 1)
    monkeypatch.setattr(admin.site._registry[Ticket], "list_per_page", 2)
    workers_per_walk = []

    def watch(execute, sql, params, many, context):
        if "UNION ALL" in sql:
            context["cursor"].execute("SHOW max_parallel_workers_per_gather")
            workers_per_walk.append(context["cursor"].fetchone()[0])
        return execute(sql, params, many, context)

    with connection.execute_wrapper(watch):
        page = urp.get(reverse(INBOX), {"q": "buca"})
    with connection.cursor() as cursor:
        cursor.execute("SHOW max_parallel_workers_per_gather")
        after = cursor.fetchone()[0]

    assert page.context["cl"].result_count_capped
    assert len(page.context["cl"].result_list) == 2
    assert workers_per_walk == ["0"]
    assert after != "0"


def test_a_narrow_search_is_counted_and_sorted_whole_past_the_cap(urp, monkeypatch):
    now = timezone.now()
    made = [
        TicketFactory(state=state, due_at=now + dt.timedelta(hours=hours))
        for state, hours in [("resolved", -9), ("open", 5), ("new", 3), ("open", -2), ("new", 1)]
    ]
    for ticket in made:
        MessageFactory(ticket=ticket, text="Il passo carrabile è occupato")
    MessageFactory(ticket=TicketFactory(state="new"), text="Nessuna")
    monkeypatch.setattr(changelist, "SEARCH_COUNT_CAP", 3)
    monkeypatch.setattr(admin.site._registry[Ticket], "list_per_page", 2)

    first = urp.get(reverse(INBOX), {"q": "carrabile"}).context["cl"]
    second = urp.get(reverse(INBOX), {"q": "carrabile", "p": "2"}).context["cl"]

    late, new_soon, new_later, open_, resolved = made[3], made[4], made[2], made[1], made[0]
    assert first.result_count == 5
    assert not first.result_count_capped
    assert [t.pk for t in first.result_list] == [late.pk, new_soon.pk]
    assert [t.pk for t in second.result_list] == [new_later.pk, open_.pk]
    assert resolved.pk not in [t.pk for t in first.result_list + second.result_list]
    if connection.vendor == "postgresql":
        assert selectors.ticket_search_is_narrow(term="carrabile")
        monkeypatch.setattr(selectors.search, "FEW_MATCHES", 0)
        assert not selectors.ticket_search_is_narrow(term="carrabile")


@pytest.mark.parametrize(
    "term",
    [
        "'",
        "''",
        '"buca',
        "l'affitto",
        "a\\",
        "\\'",
        "buca & !roma",
        "(buca | roma):*",
        "buca:A",
        "<->",
        "*",
        "**buca**",
        "#",
        "#12345678901234",
        "+39 333",
        "ünïcödé ñ",
        "x" * 3000,
    ],
)
def test_whatever_an_operator_types_is_a_search_never_an_error(urp, term):
    ticket = TicketFactory()
    MessageFactory(ticket=ticket, text="C'è una buca per l'affitto in via Roma")

    response = urp.get(reverse(INBOX), {"q": term})

    assert response.status_code == 200
    if term in ("l'affitto", "**buca**"):
        assert [t.pk for t in response.context["cl"].result_list] == [ticket.pk]
