"""The moderator's actions on messages and citizens, each audited and, except the report to the
authorities, reversible."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from typing import Any

from django.conf import settings as django_settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from subscribers.models import Subscriber
from subscribers.services import subscriber_status_change
from subscribers.states import SubscriberStatus
from tickets.models import Message
from urp_portal.gateway.models import InboundMessage
from urp_portal.gateway.services import outbound_message_create
from urp_portal.municipality.errors import NoActiveMunicipality, UserError
from urp_portal.municipality.selectors import municipality_get_active, render_text

from ..errors import ActionNotReversible
from ..models import Block, ModerationAction, ModerationCase, PolicyCategory, ScreeningFlag
from ..selectors import moderation_settings_get
from ..states import REVERSALS, ActionKind, BlockEnd
from .cases import (
    action_write,
    case_open_for,
    categories_required,
    require_moderator,
    subscriber_locked,
)

logger = logging.getLogger(__name__)

# The outbox's `purpose` of the warning.
PURPOSE_WARNING = "moderation_warning"

DEFAULT_WARNING_TEXT = _(
    "Gentile utente, un suo messaggio al servizio WhatsApp del {comune} viola le regole del "
    "servizio ({categorie}) ed è stato rimosso o segnalato ai moderatori. In caso di nuove "
    "violazioni il suo numero sarà bloccato e, nei casi più gravi, i contenuti potranno essere "
    "segnalati alle competenti autorità giudiziarie."
)


def _flag_reviewed(*, inbound: InboundMessage | None, actor: Any, now: dt.datetime) -> None:
    if inbound is None:
        return
    ScreeningFlag.objects.filter(inbound=inbound, reviewed_at__isnull=True).update(
        reviewed_at=now, reviewed_by=actor
    )


def _sender(inbound: InboundMessage) -> Subscriber:
    return subscriber_locked(number=inbound.sender)


# --- remove and restore ---------------------------------------------------------------------------


@transaction.atomic
def message_remove(
    *,
    inbound: InboundMessage,
    actor: Any,
    categories: Iterable[PolicyCategory | str],
    note: str = "",
    now: dt.datetime | None = None,
) -> ModerationAction:
    """Hide a citizen's message from the operators and from every export; the row, its text and
    its media stay as evidence under the citizen's case."""
    require_moderator(actor)
    now = now or timezone.now()
    rules = categories_required(categories)
    subscriber = _sender(inbound)
    case = case_open_for(subscriber=subscriber, now=now, actor=actor)
    shown = Message.objects.select_for_update().filter(inbound=inbound).first()
    if shown is not None and shown.removed_at is not None:
        raise UserError(_("Il messaggio è già stato rimosso."))
    if shown is not None:
        shown.removed_at = now
        shown.save(update_fields=["removed_at"])
    _flag_reviewed(inbound=inbound, actor=actor, now=now)
    return action_write(
        case=case,
        kind=ActionKind.REMOVE,
        actor=actor,
        categories=rules,
        subscriber=subscriber,
        note=note,
        inbound=inbound,
        at=now,
    )


def _restore(*, action: ModerationAction, actor: Any, note: str, now: dt.datetime) -> dict:
    Message.objects.filter(inbound=action.inbound).update(removed_at=None)
    return {"inbound": action.inbound}


# --- warn -----------------------------------------------------------------------------------------


def warning_text(*, categories: list[PolicyCategory]) -> str:
    # The citizen reads it in the product's language, whatever the moderator's browser asks for.
    with translation.override(django_settings.LANGUAGE_CODE):
        return _warning_text(categories=categories)


def _warning_text(*, categories: list[PolicyCategory]) -> str:
    settings = moderation_settings_get()
    try:
        comune = municipality_get_active().name
    except NoActiveMunicipality:
        comune = ""
    return render_text(
        settings.warning_text or str(DEFAULT_WARNING_TEXT),
        comune=comune or _("Comune"),
        categorie=", ".join(category.label.lower() for category in categories),
    )


@transaction.atomic
def subscriber_warn(
    *,
    actor: Any,
    categories: Iterable[PolicyCategory | str],
    subscriber: Subscriber | None = None,
    inbound: InboundMessage | None = None,
    note: str = "",
    now: dt.datetime | None = None,
) -> ModerationAction:
    """Send the citizen the configured warning, naming the rules they broke."""
    require_moderator(actor)
    now = now or timezone.now()
    rules = categories_required(categories)
    subscriber = (
        subscriber_locked(subscriber=subscriber) if subscriber else _sender(_required(inbound))
    )
    if not subscriber.number:
        raise UserError(_("I dati di questo cittadino sono stati cancellati: non si può avvisare."))
    case = case_open_for(subscriber=subscriber, now=now, actor=actor)
    outbound = outbound_message_create(
        to=subscriber.number, purpose=PURPOSE_WARNING, text=warning_text(categories=rules)
    )
    _flag_reviewed(inbound=inbound, actor=actor, now=now)
    return action_write(
        case=case,
        kind=ActionKind.WARN,
        actor=actor,
        categories=rules,
        subscriber=subscriber,
        note=note,
        inbound=inbound,
        outbound=outbound,
        at=now,
    )


def _required(inbound: InboundMessage | None) -> InboundMessage:
    if inbound is None:
        raise UserError(_("Indica il cittadino o il messaggio."))
    return inbound


# --- block, unblock, lapse ------------------------------------------------------------------------


@transaction.atomic
def subscriber_block(
    *,
    actor: Any,
    categories: Iterable[PolicyCategory | str],
    subscriber: Subscriber | None = None,
    inbound: InboundMessage | None = None,
    ends_at: dt.datetime | None = None,
    note: str = "",
    now: dt.datetime | None = None,
) -> ModerationAction:
    """Block the citizen: from now their messages are stored but open no ticket and get no reply,
    and no broadcast reaches them. With `ends_at` the block lapses by itself."""
    require_moderator(actor)
    now = now or timezone.now()
    rules = categories_required(categories)
    if ends_at is not None and ends_at <= now:
        raise UserError(_("La fine del blocco deve essere nel futuro."))
    subscriber = (
        subscriber_locked(subscriber=subscriber) if subscriber else _sender(_required(inbound))
    )
    if subscriber.status == SubscriberStatus.ANONYMISED:
        raise UserError(_("I dati di questo cittadino sono stati cancellati."))
    if subscriber.status == SubscriberStatus.BLOCKED:
        raise UserError(_("Il cittadino è già bloccato."))
    case = case_open_for(subscriber=subscriber, now=now, actor=actor)
    block = Block.objects.create(
        subscriber=subscriber,
        case=case,
        starts_at=now,
        ends_at=ends_at,
        previous_status=subscriber.status,
    )
    subscriber_status_change(
        subscriber=subscriber, status=SubscriberStatus.BLOCKED, actor=actor, reason=ActionKind.BLOCK
    )
    _flag_reviewed(inbound=inbound, actor=actor, now=now)
    return action_write(
        case=case,
        kind=ActionKind.BLOCK,
        actor=actor,
        categories=rules,
        subscriber=subscriber,
        note=note,
        inbound=inbound,
        block=block,
        at=now,
    )


def _lift(
    *, block: Block, actor: Any, end: str, note: str, now: dt.datetime
) -> ModerationAction | None:
    """End a block and give the citizen back the status they had. Call in a transaction."""
    subscriber = subscriber_locked(subscriber=block.subscriber)
    block = Block.objects.select_for_update().get(pk=block.pk)
    if block.lifted_at is not None:
        return None
    block.lifted_at = now
    block.lifted_by = actor
    block.end_reason = end
    block.save(update_fields=["lifted_at", "lifted_by", "end_reason"])
    kind = ActionKind.UNBLOCK if end == BlockEnd.UNBLOCKED else ActionKind.BLOCK_LAPSED
    if subscriber.status == SubscriberStatus.BLOCKED:
        subscriber_status_change(
            subscriber=subscriber, status=block.previous_status, actor=actor, reason=kind
        )
    blocking = (
        ModerationAction.objects.filter(block=block, kind=ActionKind.BLOCK)
        .prefetch_related("categories")
        .first()
    )
    return action_write(
        case=block.case,
        kind=kind,
        actor=actor,
        categories=list(blocking.categories.all()) if blocking else [],
        subscriber=subscriber,
        note=note,
        block=block,
        reverses=blocking if blocking and not hasattr(blocking, "reversed_by") else None,
        at=now,
    )


@transaction.atomic
def subscriber_unblock(
    *, block: Block, actor: Any, note: str = "", now: dt.datetime | None = None
) -> ModerationAction:
    require_moderator(actor)
    action = _lift(
        block=block, actor=actor, end=BlockEnd.UNBLOCKED, note=note, now=now or timezone.now()
    )
    if action is None:
        raise UserError(_("Il blocco è già terminato."))
    return action


def block_lapse_if_due(*, block: Block, now: dt.datetime) -> bool:
    """End a block whose end date has passed; True if it ended now. Call in a transaction."""
    if block.ends_at is None or block.ends_at > now:
        return False
    return _lift(block=block, actor=None, end=BlockEnd.LAPSED, note="", now=now) is not None


def blocks_lapse(*, now: dt.datetime | None = None) -> int:
    """The periodic run: every block past its end date lapses. Returns how many ended."""
    now = now or timezone.now()
    lapsed = 0
    due = Block.objects.filter(lifted_at__isnull=True, ends_at__lte=now).values_list(
        "pk", flat=True
    )
    for block_id in list(due):
        with transaction.atomic():
            block = Block.objects.select_related("subscriber").get(pk=block_id)
            lapsed += block_lapse_if_due(block=block, now=now)
    return lapsed


def blocked_message_keep(*, message: InboundMessage, subscriber: Subscriber, now: dt.datetime):
    """A blocked citizen wrote: True if the block still holds (the message is kept as evidence
    under the block's case and goes no further); False if the block just lapsed."""
    block = Block.objects.filter(subscriber=subscriber, lifted_at__isnull=True).first()
    if block is None:
        # Blocked without a Block row (set by hand): the status is what counts.
        return True
    if block_lapse_if_due(block=block, now=now):
        return False
    ModerationCase.messages.through.objects.get_or_create(
        moderationcase_id=block.case_id, inboundmessage_id=message.pk
    )
    return True


# --- dismiss --------------------------------------------------------------------------------------


@transaction.atomic
def flag_dismiss(
    *,
    flag: ScreeningFlag,
    actor: Any,
    note: str = "",
    categories: Iterable[PolicyCategory | str] = (),
    now: dt.datetime | None = None,
) -> ModerationAction:
    """The flagged message breaks no rule: it leaves the queue and its badge goes."""
    require_moderator(actor)
    now = now or timezone.now()
    subscriber = subscriber_locked(subscriber=flag.case.subscriber)
    flag = ScreeningFlag.objects.select_for_update().get(pk=flag.pk)
    if flag.reviewed_at is not None:
        raise UserError(_("La segnalazione è già stata esaminata."))
    rules = categories_required(list(categories) or list(flag.categories.all()))
    flag.reviewed_at = now
    flag.reviewed_by = actor
    flag.save(update_fields=["reviewed_at", "reviewed_by"])
    Message.objects.filter(inbound_id=flag.inbound_id).update(moderation_note="")
    return action_write(
        case=flag.case,
        kind=ActionKind.DISMISS,
        actor=actor,
        categories=rules,
        subscriber=subscriber,
        note=note,
        inbound=flag.inbound,
        at=now,
    )


def _reopen_flag(*, action: ModerationAction, actor: Any, note: str, now: dt.datetime) -> dict:
    from .screening import moderation_note_text

    flag = ScreeningFlag.objects.select_for_update().filter(inbound=action.inbound).first()
    if flag is not None:
        flag.reviewed_at = None
        flag.reviewed_by = None
        flag.save(update_fields=["reviewed_at", "reviewed_by"])
        Message.objects.filter(inbound_id=flag.inbound_id).update(
            moderation_note=moderation_note_text(flag.reasons)
        )
    return {"inbound": action.inbound}


# --- reversal -------------------------------------------------------------------------------------


@transaction.atomic
def action_reverse(
    *, action: ModerationAction, actor: Any, note: str = "", now: dt.datetime | None = None
) -> ModerationAction:
    """Undo a moderator's action (remove, warn, block, dismiss), itself audited. The report to
    the authorities is the evidence record and is never undone."""
    require_moderator(actor)
    now = now or timezone.now()
    if action.kind not in REVERSALS:
        raise ActionNotReversible()
    if action.kind == ActionKind.BLOCK:
        assert action.block is not None
        return subscriber_unblock(block=action.block, actor=actor, note=note, now=now)
    subscriber = subscriber_locked(subscriber=action.subscriber)
    action = ModerationAction.objects.select_for_update().get(pk=action.pk)
    if ModerationAction.objects.filter(reverses=action).exists():
        raise UserError(_("Questa azione è già stata annullata."))
    links: dict = {}
    if action.kind == ActionKind.REMOVE:
        links = _restore(action=action, actor=actor, note=note, now=now)
    elif action.kind == ActionKind.DISMISS:
        links = _reopen_flag(action=action, actor=actor, note=note, now=now)
    return action_write(
        case=action.case,
        kind=REVERSALS[action.kind],
        actor=actor,
        categories=list(action.categories.all()),
        subscriber=subscriber,
        note=note,
        reverses=action,
        at=now,
        **links,
    )
