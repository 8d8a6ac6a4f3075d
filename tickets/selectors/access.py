"""Reads of tickets, scoped to what the user may see."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import (
    Exists,
    OuterRef,
    Prefetch,
    QuerySet,
    Subquery,
)
from django.db.models.functions import Substr
from django.utils import timezone

from urp_portal.accounts.principals import ApiTokenUser, principal_for_token
from urp_portal.accounts.roles import Role, user_has_role

from ..access import Access, access_cache_shared, access_remember, access_remembered_with
from ..models import Forward, Message, MunicipalService, Ticket
from ..states import MessageOrigin, TicketState

REPLY_WINDOW = dt.timedelta(hours=24)


def user_is_urp(user: Any) -> bool:
    """Operators and administrators of the URP see every ticket; the answer is kept on the user
    object for the request, so a page asks the database once, and across requests in the
    shared cache until a role changes (access.py)."""
    if not getattr(user, "is_authenticated", False):
        return False
    cached = getattr(user, "_urp_is_urp", None)
    if cached is None:
        if isinstance(user, ApiTokenUser):
            # One of the comune's systems: its token's role stands for an account's groups.
            cached = principal_for_token(user.token).has_any_role(Role.OPERATOR)
        elif access_cache_shared():
            cached = _account_access(user).is_urp
        else:
            cached = _account_is_urp(user)
        user._urp_is_urp = cached
    return cached


def user_service_ids(user: Any) -> list[int]:
    cached = getattr(user, "_urp_service_ids", None)
    if cached is None:
        if isinstance(user, ApiTokenUser):
            # A service's token names its service by slug; a token of another role acts for none.
            slug = user.token.service_slug if user.token.role == Role.SERVICE else ""
            services = MunicipalService.objects.filter(slug=slug) if slug else None
            cached = [] if services is None else list(services.values_list("pk", flat=True))
        elif not getattr(user, "is_authenticated", False):
            cached = []
        elif access_cache_shared():
            cached = _account_access(user).service_ids
        else:
            cached = _account_service_ids(user)
        user._urp_service_ids = cached
    return cached


def _account_is_urp(user: Any) -> bool:
    return (
        user.is_superuser
        or user_has_role(user, Role.OPERATOR)
        or user_has_role(user, Role.ADMINISTRATOR)
    )


def _account_service_ids(user: Any) -> list[int]:
    return list(MunicipalService.objects.filter(staff=user).values_list("pk", flat=True))


def _account_access(user: Any, also: tuple[str, ...] = ()) -> Access:
    """A signed-in account's access from the shared cache; read whole (both halves) when the
    cache has no current entry, so the next requests need neither query (access.py). The
    cache's keys `also`, read in the same round trip, are kept on the user for the request."""
    remembered, generation, user._urp_cache_also = access_remembered_with(
        user_pk=user.pk, also=also
    )
    if remembered is not None:
        user._urp_is_urp, user._urp_service_ids = remembered.is_urp, remembered.service_ids
        user._urp_changes_tickets = remembered.changes_tickets
        return remembered
    is_urp = _account_is_urp(user)
    found = Access(
        is_urp=is_urp,
        service_ids=_account_service_ids(user),
        changes_tickets=is_urp and _account_changes_tickets(user),
    )
    access_remember(user_pk=user.pk, access=found, generation=generation)
    # Both halves are known now: the request's other question needs no cache read.
    user._urp_is_urp, user._urp_service_ids = found.is_urp, found.service_ids
    user._urp_changes_tickets = found.changes_tickets
    return found


def _account_changes_tickets(user: Any) -> bool:
    # TicketAdmin.has_change_permission's question.
    return user.has_perm(f"{Ticket._meta.app_label}.change_{Ticket._meta.model_name}")


def user_changes_tickets(user: Any) -> bool:
    """Whether a URP user may change tickets (the inbox's bulk actions, TicketAdmin.get_actions):
    from the access remembered in the shared cache when there is one, as user_is_urp."""
    if not user_is_urp(user):
        return False
    # Read with the access by this request already (the live poll's first read), or now.
    known = getattr(user, "_urp_changes_tickets", None)
    if known is not None:
        return known
    if isinstance(user, ApiTokenUser) or not access_cache_shared():
        user._urp_changes_tickets = _account_changes_tickets(user)
        return user._urp_changes_tickets
    return _account_access(user).changes_tickets


def user_access_with(user: Any, *, also: tuple[str, ...]) -> dict[str, Any]:
    """Whether the user may see tickets, as user_is_urp and user_service_ids answer it, found
    now, with the shared cache's keys `also` read in the same round trip ({key: value or
    None}; the live poll's change stamp). {} when no cache read is shared (no shared cache, an
    API token, the access already known for this request): the caller reads its keys itself."""
    if (
        isinstance(user, ApiTokenUser)
        or not getattr(user, "is_authenticated", False)
        or not access_cache_shared()
        or getattr(user, "_urp_is_urp", None) is not None
    ):
        return {}
    _account_access(user, also)
    return user._urp_cache_also


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
    rows = (
        Ticket.objects.filter(pk__in=ticket_ids)  # type: ignore[misc]  # the fields annotated below
        .annotate(**ticket_first_message_fields())
        .values_list("pk", "first_text", "first_kind")
    )
    return {pk: (text or "", kind or "") for pk, text, kind in rows}


def ticket_first_message_fields() -> dict[str, Any]:
    """ticket_first_messages as annotations (`first_text`, `first_kind`, None when there is no
    citizen's message), for a query that reads the tickets anyway."""
    first = (
        message_list_visible()
        .filter(ticket=OuterRef("pk"), origin=MessageOrigin.CITIZEN)
        .order_by("at", "pk")
    )
    return {
        "first_text": Substr(Subquery(first.values("text")[:1]), 1, 140),
        "first_kind": Subquery(first.values("kind")[:1]),
    }


def ticket_get_for(*, user: Any, ticket_id: int) -> Ticket | None:
    return (
        ticket_list_for(user=user)
        .select_related("subscriber", "service", "assignee")
        .filter(pk=ticket_id)
        .first()
    )


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
