"""Cases: one open per citizen, opened by the first flag or action, closed by a moderator."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from subscribers.models import Subscriber
from urp_portal.gateway.models import InboundMessage
from urp_portal.municipality.errors import UserError
from urp_portal.municipality.scope import serves_other_comuni

from ..errors import ModerationNotAllowed, NoCategory
from ..models import ModerationAction, ModerationCase, PolicyCategory
from ..selectors import user_may_moderate
from ..states import ActionKind, CaseState


def require_moderator(user: Any) -> None:
    if not user_may_moderate(user):
        raise ModerationNotAllowed()


def categories_required(categories: Iterable[PolicyCategory | str]) -> list[PolicyCategory]:
    """The policy rules an action names: at least one, given as rows or codes, and all of the
    running comune's policy (its citizen's: each comune publishes its own)."""
    items = list(categories)
    codes = [item for item in items if isinstance(item, str)]
    rows = [item for item in items if isinstance(item, PolicyCategory)]
    if rows and serves_other_comuni():
        ids = {row.pk for row in rows}
        if PolicyCategory.objects.filter(pk__in=ids).count() != len(ids):
            raise NoCategory(_("Regola della policy di un altro comune."))
    if codes:
        found = list(PolicyCategory.objects.filter(code__in=codes))
        if len(found) != len(set(codes)):
            raise NoCategory(_("Categoria della policy sconosciuta."))
        rows.extend(found)
    if not rows:
        raise NoCategory()
    return rows


def subscriber_locked(*, subscriber: Subscriber | None = None, number: str = "") -> Subscriber:
    """The citizen's row, locked: every moderation write on a citizen takes this lock first, so
    two moderators (or a moderator and the pipeline) act one after the other."""
    rows = Subscriber.objects.select_for_update()
    found = rows.filter(pk=subscriber.pk).first() if subscriber else None
    if found is None and number:
        found = rows.filter(number=number).first()
    if found is None:
        raise UserError(_("Cittadino non trovato: i suoi dati potrebbero essere stati cancellati."))
    return found


def case_open_for(*, subscriber: Subscriber, now: dt.datetime, actor: Any = None) -> ModerationCase:
    """The citizen's open case, opened now if there is none. Call with the citizen locked."""
    case = (
        ModerationCase.objects.select_for_update()
        .filter(subscriber=subscriber, state=CaseState.OPEN)
        .first()
    )
    if case is None:
        case = ModerationCase.objects.create(subscriber=subscriber, opened_at=now, opened_by=actor)
    return case


def action_write(
    *,
    case: ModerationCase,
    kind: str,
    actor: Any,
    categories: list[PolicyCategory],
    subscriber: Subscriber,
    note: str = "",
    inbound: InboundMessage | None = None,
    at: dt.datetime,
    **links: Any,
) -> ModerationAction:
    """The audit row every moderation write ends with."""
    if not categories:
        raise NoCategory()
    action = ModerationAction.objects.create(
        case=case,
        kind=kind,
        actor=actor,
        at=at,
        note=note,
        subscriber=subscriber,
        inbound=inbound,
        **links,
    )
    action.categories.set(categories)
    if inbound is not None:
        case.messages.add(inbound)
    return action


@transaction.atomic
def case_close(
    *,
    case: ModerationCase,
    actor: Any,
    categories: Iterable[PolicyCategory | str],
    note: str = "",
    now: dt.datetime | None = None,
) -> ModerationAction:
    """Close a case: its legal hold ends (erasure and retention apply again). The queue must be
    empty for it: every flagged message has been acted on or dismissed."""
    require_moderator(actor)
    now = now or timezone.now()
    rules = categories_required(categories)
    subscriber = subscriber_locked(subscriber=case.subscriber)
    case = ModerationCase.objects.select_for_update().get(pk=case.pk)
    if case.state != CaseState.OPEN:
        raise UserError(_("Il caso è già chiuso."))
    if case.flags.filter(reviewed_at__isnull=True).exists():
        raise UserError(
            _("Ci sono ancora messaggi segnalati da esaminare: agisci o archiviali prima.")
        )
    case.state = CaseState.CLOSED
    case.closed_at = now
    case.closed_by = actor
    case.save(update_fields=["state", "closed_at", "closed_by"])
    return action_write(
        case=case,
        kind=ActionKind.CLOSE_CASE,
        actor=actor,
        categories=rules,
        subscriber=subscriber,
        note=note,
        at=now,
    )
