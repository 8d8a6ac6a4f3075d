"""The comuni's health for the provider: per comune, counts and times only (never a citizen's
message, name or number), each figure one aggregate query across comuni grouped by comune,
so the page costs the same handful of queries for 4 comuni or 300.

It reads across comuni on purpose, through each model's `all_comuni` manager where the model
has one (the scoped default manager would read one comune's rows, or refuse outside a scope),
and only ever returns counts."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.conf import settings
from django.db import models
from django.db.models import Case, Count, IntegerField, Min, OuterRef, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from broadcasts.models import MessageTemplate
from broadcasts.states import TemplateApproval
from tickets.models import Ticket
from tickets.states import TicketState
from urp_portal.gateway.backlog import Backlog, gateway_backlog, queue_label
from urp_portal.gateway.models import InboundMessage, OutboundMessage
from urp_portal.gateway.numbers import own_number_messaging_limit_groups
from urp_portal.gateway.reach import ROLLING
from urp_portal.gateway.states import InboundState, OutboundState
from urp_portal.municipality.models import Municipality


@dataclass
class ComuneHealth:
    comune: Municipality
    phone_number_ids: list[str]
    late_tickets: int = 0
    inbound_waiting: int = 0
    oldest_inbound_waiting_seconds: float | None = None
    outbound_waiting: int = 0
    reach_used: int = 0
    last_inbound_at: dt.datetime | None = None
    templates: dict[str, int] = field(default_factory=dict)

    @property
    def templates_total(self) -> int:
        return sum(self.templates.values())


@dataclass
class PortfolioHealth:
    """One messaging limit and the comuni sharing it (gateway/numbers.py,
    messaging_limit_groups_of): Meta counts the citizens reached per business portfolio."""

    comuni: list[Municipality]
    # The business portfolio ids recorded on its numbers, else their WABA ids.
    portfolio_ids: list[str]
    business_account_ids: list[str]
    reach_used: int = 0

    @property
    def reach_limit(self) -> int | None:
        """The portfolio's limit as the comuni keep it (the hourly refresh writes it on each of
        the group's comuni): the smallest, where they disagree until the next refresh."""
        limits = [c.messaging_limit for c in self.comuni if c.messaging_limit is not None]
        return min(limits) if limits else None

    @property
    def reach_share(self) -> int | None:
        """Percent of the messaging limit used in the last 24 hours (None: no limit)."""
        if not self.reach_limit:
            return None
        return round(100 * self.reach_used / self.reach_limit)


@dataclass
class ProviderHealth:
    backlog: Backlog
    comuni: list[ComuneHealth]
    portfolios: list[PortfolioHealth]
    # Templates are counted per comune once they belong to one (their WABA); until then, for
    # the deployment as a whole.
    templates_per_comune: bool
    templates: dict[str, int]
    # The deployment's own number (WHATSAPP_*), the active comune's when it has none bound:
    # its business portfolio id, empty when not set (grouped by its WABA alone).
    own_portfolio_id: str = ""
    own_business_account_id: str = ""

    @property
    def queue_rows(self) -> list[tuple[str, int]]:
        """The workers' queues by their Italian names (None above: the broker did not answer)."""
        return [(queue_label(name), depth) for name, depth in (self.backlog.queues or {}).items()]


def _across(model: type[models.Model]) -> models.Manager:
    return getattr(model, "all_comuni", model._default_manager)


def _per_comune(queryset: models.QuerySet, active_id: int | None, **aggregates) -> dict:
    """{comune id: {name: value}}, rows with no comune counted as the active comune's."""
    rows = (
        queryset.order_by()
        .annotate(owner=Coalesce("comune", Value(active_id, output_field=IntegerField())))
        .values("owner")
        .annotate(**aggregates)
    )
    return {row.pop("owner"): row for row in rows}


def inbound_last_received(*, active_id: int | None) -> dict[int, dt.datetime | None]:
    """{comune id: when its number last received a message}, rows with no comune counted as
    the active comune's. One backward step of the index (comune, received_at)
    (gateway.inbound_comune_received) per comune and one for the rows with no comune, in one
    statement: the same cost for a table of a day or of years, and a message older than any
    window still shows (the EXPLAIN is asserted in tests/test_provider_admin.py)."""
    found: dict[int, dt.datetime | None] = {}
    for pk, last, unassigned in inbound_last_received_query():
        if pk == active_id and unassigned is not None:
            last = unassigned if last is None else max(last, unassigned)
        found[pk] = last
    return found


def inbound_last_received_query() -> models.QuerySet:
    """(comune id, its last message's time, the last time of the rows with no comune)."""
    latest = _across(InboundMessage).order_by("-received_at").values("received_at")
    return (
        Municipality.objects.order_by()
        .annotate(
            last=Subquery(latest.filter(comune=OuterRef("pk"))[:1]),
            # Not correlated: PostgreSQL works it out once for the statement (an InitPlan).
            unassigned=Subquery(latest.filter(comune__isnull=True)[:1]),
        )
        .values_list("pk", "last", "unassigned")
    )


def provider_health(*, now: dt.datetime | None = None) -> ProviderHealth:
    now = now or timezone.now()
    comuni = list(Municipality.objects.order_by("name").prefetch_related("whatsapp_numbers"))
    active_id = next((c.pk for c in comuni if c.is_active), None)
    late = _per_comune(
        _across(Ticket).filter(state__in=TicketState.unfinished(), due_at__lt=now),
        active_id,
        n=Count("pk"),
    )
    inbound = _per_comune(
        _across(InboundMessage).filter(state=InboundState.RECEIVED),
        active_id,
        n=Count("pk"),
        oldest=Min("received_at"),
    )
    last = inbound_last_received(active_id=active_id)
    outbound = _per_comune(
        _across(OutboundMessage).filter(state__in=[OutboundState.QUEUED, OutboundState.SENDING]),
        active_id,
        n=Count("pk"),
    )
    reach = _per_comune(
        _across(OutboundMessage)
        .filter(reach_counted_at__gt=now - ROLLING)
        .exclude(state__in=[OutboundState.FAILED, OutboundState.CANCELLED]),
        active_id,
        n=Count("to", distinct=True),
    )
    portfolios = _portfolios(comuni, active_id)
    # The citizens each portfolio reached: one statement for all, each outbox row given its
    # comune's group, so a citizen reached by two comuni of one portfolio counts once.
    reach_by_group: dict[int, int] = {}
    if portfolios:
        rows = (
            _across(OutboundMessage)
            .filter(reach_counted_at__gt=now - ROLLING)
            .exclude(state__in=[OutboundState.FAILED, OutboundState.CANCELLED])
            .order_by()
            .annotate(owner=Coalesce("comune", Value(active_id, output_field=IntegerField())))
            .annotate(
                group=Case(
                    *(
                        When(owner__in=[c.pk for c in portfolio.comuni], then=Value(i))
                        for i, portfolio in enumerate(portfolios)
                    ),
                    output_field=IntegerField(),
                )
            )
            .values("group")
            .annotate(n=Count("to", distinct=True))
        )
        reach_by_group = {row["group"]: row["n"] for row in rows}
    for i, portfolio in enumerate(portfolios):
        portfolio.reach_used = reach_by_group.get(i, 0)
    per_comune_templates = any(f.name == "comune" for f in MessageTemplate._meta.concrete_fields)
    templates: dict = {}
    deployment_templates: dict[str, int] = {}
    if per_comune_templates:
        for row in (
            _across(MessageTemplate)
            .order_by()
            .annotate(owner=Coalesce("comune", Value(active_id, output_field=IntegerField())))
            .values("owner", "approval_status")
            .annotate(n=Count("pk"))
        ):
            templates.setdefault(row["owner"], {})[row["approval_status"]] = row["n"]
    else:
        for row in (
            _across(MessageTemplate).order_by().values("approval_status").annotate(n=Count("pk"))
        ):
            deployment_templates[row["approval_status"]] = row["n"]

    health = []
    for comune in comuni:
        waiting = inbound.get(comune.pk, {})
        oldest = waiting.get("oldest")
        health.append(
            ComuneHealth(
                comune=comune,
                phone_number_ids=[n.phone_number_id for n in comune.whatsapp_numbers.all()],
                late_tickets=late.get(comune.pk, {}).get("n", 0),
                inbound_waiting=waiting.get("n", 0),
                oldest_inbound_waiting_seconds=(
                    round((now - oldest).total_seconds()) if oldest else None
                ),
                outbound_waiting=outbound.get(comune.pk, {}).get("n", 0),
                reach_used=reach.get(comune.pk, {}).get("n", 0),
                last_inbound_at=last.get(comune.pk),
                templates=_ordered(templates.get(comune.pk, {})),
            )
        )
    return ProviderHealth(
        backlog=gateway_backlog(now=now),
        comuni=health,
        portfolios=portfolios,
        templates_per_comune=per_comune_templates,
        templates=_ordered(deployment_templates),
        own_portfolio_id=str(settings.WHATSAPP_BUSINESS_PORTFOLIO_ID or ""),
        own_business_account_id=str(settings.WHATSAPP_BUSINESS_ACCOUNT_ID or ""),
    )


def _portfolios(comuni: list[Municipality], active_id: int | None) -> list[PortfolioHealth]:
    """The comuni grouped by the messaging limit they share, from their prefetched numbers (no
    query): the grouping of the sends themselves, the deployment's own number included
    (gateway/numbers.py)."""
    by_pk = {c.pk: c for c in comuni}
    numbers = [n for c in comuni for n in c.whatsapp_numbers.all()]
    grouping = own_number_messaging_limit_groups(
        [(n.comune_id, n.business_account_id, n.business_portfolio_id) for n in numbers],
        active_id=active_id,
    )
    portfolios = []
    for group in grouping.groups:
        members = sorted((by_pk[pk] for pk in group if pk in by_pk), key=lambda c: c.name)
        accounts = grouping.accounts_of(group)
        portfolios.append(
            PortfolioHealth(
                comuni=members,
                portfolio_ids=list(accounts.business_portfolio_ids),
                business_account_ids=list(accounts.business_account_ids),
            )
        )
    return sorted(portfolios, key=lambda p: [c.name for c in p.comuni])


def _ordered(counts: dict[str, int]) -> dict[str, int]:
    """Every approval state, in the states' order, with its label as key."""
    return {str(label): counts.get(value, 0) for value, label in TemplateApproval.choices}
