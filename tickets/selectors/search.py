"""The inbox's filters and its search: words in the tickets' search documents, or in the citizen's
name, number or messages, within what the user may see."""

from __future__ import annotations

import json
import re

from django.contrib.postgres.expressions import ArraySubquery
from django.contrib.postgres.search import SearchQuery
from django.db import connections
from django.db.models import (
    F,
    Lookup,
    Q,
    QuerySet,
)
from django.utils.text import smart_split, unescape_string_literal

from subscribers.models import Subscriber

from ..models import Ticket, TicketSearch
from .access import message_list_visible

# The text search configuration of the tickets' search documents (migration 0007).
SEARCH_CONFIGURATION = "tickets_search"
_TICKET_NUMBER = re.compile(r"^#?(\d{1,12})$")
# A search whose words are in up to this many tickets takes those tickets' list from the index at
# once; one in more checks ticket by ticket, as the inbox is read in its order, until a page is
# full. The inbox sorts up to this many matches whole (admin/changelist.py).
FEW_MATCHES = 5_000


def ticket_list_filter(
    *, tickets: QuerySet[Ticket], state: str = "", service_slug: str = "", q: str = ""
) -> QuerySet[Ticket]:
    """Narrow an already scoped list: by state, by competent service, by a search that matches
    the ticket's number (#123), the citizen's name or number, or any message's text."""
    if state:
        tickets = tickets.filter(state=state)
    if service_slug:
        tickets = tickets.filter(service__slug=service_slug)
    if q.strip():
        tickets = ticket_list_search(tickets=tickets, term=q)
    return tickets


def _search_words(term: str) -> list[str]:
    words = []
    for word in smart_split(term):
        if word[0] in "\"'" and word[-1] == word[0] and len(word) > 1:
            word = unescape_string_literal(word)
        # A word of signs only ("-", "?") has nothing to look for.
        if any(c.isalnum() for c in word):
            words.append(word)
    return words


def _text_query(words: list[str]) -> SearchQuery:
    """Every word, whole, or its beginning when it ends with "*" ("carrab*"); lower case and
    accents do not count (the "tickets_search" configuration, tickets migration 0007)."""
    terms = []
    for word in words:
        prefix = word.endswith("*")
        quoted = word.rstrip("*").replace("\\", "\\\\").replace("'", "''")
        terms.append(f"'{quoted}'" + (":*" if prefix else ""))
    return SearchQuery(" & ".join(terms), search_type="raw", config=SEARCH_CONFIGURATION)


def ticket_list_search(*, tickets: QuerySet[Ticket], term: str) -> QuerySet[Ticket]:
    """The tickets matching every word of `term`: "#123" is that ticket only; a word is found in
    the citizen's names or in the chat's visible messages (not those a moderator removed), a
    word with digits in the citizen's phone number too, and a bare number is also a ticket's.

    On PostgreSQL the words are looked up in each ticket's search document (TicketSearch), one
    index look-up for all of them whatever the number of messages that contain them. Whole
    words, not stems: the Italian stemmer makes "buca" and "buche" two words but "buca" and
    "bucato" one, and drops "non" and "più"; an operator cannot guess that, while a word typed
    whole, or its beginning with "*", finds what it says. Elsewhere (SQLite, the embedded
    default) every word is a "contains" on the names, the number and the messages.
    """
    term = term.strip()
    number = _TICKET_NUMBER.match(term)
    if number and term.startswith("#"):
        return tickets.filter(pk=int(number[1]))
    words = _search_words(term)
    if not words:
        return tickets
    if connections[tickets.db].vendor == "postgresql":
        found = _search_documents(tickets, words)
    else:
        found = _search_contains(tickets, words)
    if number:
        found = found | tickets.filter(pk=int(number[1]))
    return found


def ticket_search_is_narrow(*, term: str) -> bool:
    """Whether `term` finds at most FEW_MATCHES tickets by its words alone, on PostgreSQL: a list
    can then sort all its matches at once (the inbox does) instead of reading them in order."""
    plain = _plain_words(_search_words(term.strip()))
    if not plain or connections[Ticket.objects.db].vendor != "postgresql":
        return False
    return _documents_are_few(_documents_matching(plain))


def _plain_words(words: list[str]) -> list[str]:
    return [w for w in words if not any(c.isdigit() for c in w)]


def _documents_matching(words: list[str]) -> QuerySet[TicketSearch]:
    return TicketSearch.objects.filter(document=_text_query(words))


def _documents_are_few(documents: QuerySet[TicketSearch]) -> bool:
    # PostgreSQL's own estimate, as cheap as planning the query: counting even up to a cap
    # checks every document up to it when the word is in a few percent of them (16,000 of
    # 100,000: 20 ms). The estimate comes from the words' frequencies that ANALYZE keeps, within
    # a few percent here ("buca" 82,000 for 82,122); a wrong one costs time, never a result.
    plan = json.loads(documents.values("pk").explain(format="json"))
    return plan[0]["Plan"]["Plan Rows"] <= FEW_MATCHES


def _search_documents(tickets: QuerySet[Ticket], words: list[str]) -> QuerySet[Ticket]:
    # The words with digits may be a phone number's: each is looked for there or in the texts.
    # The others, the common case, are one look-up together.
    plain = _plain_words(words)
    if plain:
        documents = _documents_matching(plain)
        matching = documents.values("ticket_id")
        if _documents_are_few(documents):
            # "= ANY(ARRAY(...))": PostgreSQL reads those few tickets by their key. For "IN"
            # it guesses a hash join over the whole table (2,000 matches: 10 ms against 50).
            tickets = tickets.filter(_AnyOf(F("pk"), ArraySubquery(matching)))
        else:
            # A semi-join: each ticket checked as the inbox walks its order, where a common word
            # is found within a few tickets.
            tickets = tickets.filter(pk__in=matching)
    for word in words:
        if word in plain:
            continue
        digits = "".join(c for c in word if c.isdigit())
        tickets = tickets.filter(
            Q(pk__in=_documents_matching([word]).values("ticket_id"))
            | Q(subscriber_id__in=Subscriber.objects.filter(number__contains=digits).values("pk"))
        )
    return tickets


class _AnyOf(Lookup):
    """`value = ANY(array)`: Django has no lookup for it."""

    lookup_name = "any_of"

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} = ANY({rhs})", (*lhs_params, *rhs_params)


def _search_contains(tickets: QuerySet[Ticket], words: list[str]) -> QuerySet[Ticket]:
    for word in words:
        text = word.strip("*")
        citizen = (
            Q(first_name__icontains=text)
            | Q(last_name__icontains=text)
            | Q(profile_name__icontains=text)
        )
        if any(c.isdigit() for c in text):
            digits = "".join(c for c in text if c.isdigit())
            citizen |= Q(number__contains=digits)
        # Subqueries, not joins: a ticket with many matching messages is listed once.
        tickets = tickets.filter(
            Q(pk__in=message_list_visible().filter(text__icontains=text).values("ticket_id"))
            | Q(subscriber_id__in=Subscriber.objects.filter(citizen).values("pk"))
        )
    return tickets
