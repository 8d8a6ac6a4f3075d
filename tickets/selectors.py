"""Reads of tickets, scoped to what the user may see."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Substr
from django.utils import timezone

from urp_portal.accounts.principals import ApiTokenUser, principal_for_token
from urp_portal.accounts.roles import Role, user_has_role

from .models import Forward, Message, MunicipalService, Ticket
from .states import MessageOrigin, TicketState

REPLY_WINDOW = dt.timedelta(hours=24)
_TICKET_NUMBER = re.compile(r"^#?(\d{1,12})$")


def user_is_urp(user: Any) -> bool:
    """Operators and administrators of the URP see every ticket; the answer is kept on the user
    object for the request, so a page asks the database once."""
    if not getattr(user, "is_authenticated", False):
        return False
    cached = getattr(user, "_urp_is_urp", None)
    if cached is None:
        if isinstance(user, ApiTokenUser):
            # One of the comune's systems: its token's role stands for an account's groups.
            cached = principal_for_token(user.token).has_any_role(Role.OPERATOR)
        else:
            cached = (
                user.is_superuser
                or user_has_role(user, Role.OPERATOR)
                or user_has_role(user, Role.ADMINISTRATOR)
            )
        user._urp_is_urp = cached
    return cached


def user_service_ids(user: Any) -> list[int]:
    cached = getattr(user, "_urp_service_ids", None)
    if cached is None:
        if isinstance(user, ApiTokenUser):
            # A service's token names its service by slug; a token of another role acts for none.
            slug = user.token.service_slug if user.token.role == Role.SERVICE else ""
            services = MunicipalService.objects.filter(slug=slug) if slug else None
        else:
            services = MunicipalService.objects.filter(staff=user)
        cached = [] if services is None else list(services.values_list("pk", flat=True))
        user._urp_service_ids = cached
    return cached


def ticket_list_for(*, user: Any) -> QuerySet[Ticket]:
    """The tickets `user` may see: all of them for the URP; for a service's staff only those
    forwarded to their service; nothing for anyone else."""
    tickets = Ticket.objects.all()
    if user_is_urp(user):
        return tickets
    if not getattr(user, "is_authenticated", False):
        return tickets.none()
    service_ids = user_service_ids(user)
    if not service_ids:
        return tickets.none()
    return tickets.filter(
        Exists(Forward.objects.filter(ticket=OuterRef("pk"), service_id__in=service_ids))
    )


def message_list_visible() -> QuerySet[Message]:
    """The messages staff may read, on every page, list and export: those a moderator removed are
    kept in the database as evidence, never shown."""
    return Message.objects.filter(removed_at__isnull=True)


def ticket_messages_visible(*, ticket: Ticket) -> QuerySet[Message]:
    return message_list_visible().filter(ticket=ticket)


def ticket_first_messages(*, ticket_ids: list[int]) -> dict[int, tuple[str, str]]:
    """Each ticket's first citizen message, as (first 140 characters, kind), in one query: what
    the inbox shows of a request."""
    if not ticket_ids:
        return {}
    first = (
        message_list_visible()
        .filter(ticket=OuterRef("pk"), origin=MessageOrigin.CITIZEN)
        .order_by("at", "pk")
    )
    rows = (
        Ticket.objects.filter(pk__in=ticket_ids)
        .annotate(
            first_text=Substr(Subquery(first.values("text")[:1]), 1, 140),
            first_kind=Subquery(first.values("kind")[:1]),
        )
        .values_list("pk", "first_text", "first_kind")
    )
    return {pk: (text or "", kind or "") for pk, text, kind in rows}


def ticket_get_for(*, user: Any, ticket_id: int) -> Ticket | None:
    return (
        ticket_list_for(user=user)
        .select_related("subscriber", "service", "assignee")
        .filter(pk=ticket_id)
        .first()
    )


def ticket_list_filter(
    *, tickets: QuerySet[Ticket], state: str = "", service_slug: str = "", q: str = ""
) -> QuerySet[Ticket]:
    """Narrow an already scoped list: by state, by competent service, by a search that matches
    the ticket's number (#123), the citizen's name or number, or any message's text."""
    if state:
        tickets = tickets.filter(state=state)
    if service_slug:
        tickets = tickets.filter(service__slug=service_slug)
    q = q.strip()
    if q:
        # Exists, not a join: a ticket with many matching messages is listed once.
        matches = (
            Q(subscriber__first_name__icontains=q)
            | Q(subscriber__last_name__icontains=q)
            | Q(subscriber__profile_name__icontains=q)
            | Q(subscriber__number__icontains=q)
            | Q(Exists(Message.objects.filter(ticket=OuterRef("pk"), text__icontains=q)))
        )
        number = _TICKET_NUMBER.match(q)
        if number:
            matches |= Q(pk=int(number[1]))
        tickets = tickets.filter(matches)
    return tickets


def ticket_detail_get_for(*, user: Any, ticket_id: int) -> Ticket | None:
    """A ticket `user` may see, with its whole chat and its forwards, in a fixed number of
    queries."""
    return (
        ticket_list_for(user=user)
        .select_related("subscriber", "service", "assignee")
        .prefetch_related(
            Prefetch(
                "messages",
                queryset=Message.objects.select_related("author", "outbound").order_by("at", "pk"),
            ),
            Prefetch("forwards", queryset=Forward.objects.select_related("service").order_by("at")),
        )
        .filter(pk=ticket_id)
        .first()
    )


def urp_user_get(*, username: str) -> Any | None:
    """An active operator or administrator of the URP by username (who may be given tickets)."""
    user = get_user_model().objects.filter(username=username, is_active=True).first()
    return user if user is not None and user_is_urp(user) else None


def user_may_see_ticket(*, user: Any, ticket: Ticket) -> bool:
    return ticket_list_for(user=user).filter(pk=ticket.pk).exists()


def forward_for_user(*, user: Any, ticket: Ticket) -> Forward | None:
    """The latest forward of `ticket` to one of `user`'s services (what their staff answer)."""
    return (
        Forward.objects.filter(ticket=ticket, service_id__in=user_service_ids(user))
        .select_related("service")
        .order_by("-at")
        .first()
    )


def reply_window_closes_at(*, ticket: Ticket) -> dt.datetime | None:
    """When the 24-hour window for free text closes (DESIGN.md); None if it never opened."""
    last = ticket.subscriber.last_inbound_at
    if last is None:
        return None
    return last + REPLY_WINDOW


def reply_window_is_open(*, ticket: Ticket, now: dt.datetime | None = None) -> bool:
    closes_at = reply_window_closes_at(ticket=ticket)
    return closes_at is not None and (now or timezone.now()) < closes_at


def ticket_is_late(ticket: Ticket, now: dt.datetime | None = None) -> bool:
    return ticket.state in TicketState.pending() and ticket.due_at < (now or timezone.now())
