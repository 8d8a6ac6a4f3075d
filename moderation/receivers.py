"""Moderation's part in the hooks other apps declare: the legal hold on erasure, the citizen's
erasure and export, the badge on a flagged message when tickets stores it, and a new comune's
policy and lists."""

from __future__ import annotations

from django.db.models.signals import post_save
from django.utils import timezone
from django.utils.translation import gettext as _

from subscribers.signals import collect_personal_data, erase_personal_data, erasure_blockers
from tickets.models import Message
from tickets.states import MessageOrigin
from urp_portal.gateway.models import InboundMessage
from urp_portal.municipality.signals import comune_activated, comune_loaded

from .models import ModerationAction, ScreeningFlag
from .selectors import open_cases_for
from .services import (
    moderation_lists_owners_changed,
    moderation_policy_give,
    ticket_message_note_flag,
)


def legal_hold_reasons(sender, subscriber, **kwargs) -> list[str]:
    """A citizen under an open moderation case is not erased (nor purged by retention) until the
    case is closed: the messages are evidence."""
    return [
        _("In attesa: caso di moderazione n. %(number)s aperto il %(date)s.")
        % {
            "number": case.pk,
            "date": timezone.localtime(case.opened_at).strftime("%d/%m/%Y"),
        }
        for case in open_cases_for(subscriber=subscriber)
    ]


def erase_moderation_texts(sender, subscriber, **kwargs) -> None:
    """The screening's reasons quote the citizen's words: they go with the erasure, the rules
    hit and the actions' audit stay. Runs only once no case is open (legal_hold_reasons)."""
    for flag in ScreeningFlag.objects.filter(case__subscriber=subscriber):
        flag.reasons = [
            {"rule": item.get("rule", ""), "category": item.get("category", "")}
            for item in flag.reasons
        ]
        flag.save(update_fields=["reasons"])
    Message.objects.filter(ticket__subscriber=subscriber).exclude(moderation_note="").update(
        moderation_note=""
    )


def export_moderation(sender, subscriber, **kwargs):
    """Art. 15: what the moderation decided about the citizen (not the moderators' notes)."""
    actions = (
        ModerationAction.objects.filter(subscriber=subscriber)
        .prefetch_related("categories")
        .order_by("at", "pk")
    )
    rows = [
        {
            "action": action.get_kind_display(),
            "at": action.at.isoformat(),
            "rules": [category.label for category in action.categories.all()],
        }
        for action in actions
    ]
    return ("moderation", rows) if rows else None


def export_without_removed_messages(sender, subscriber, **kwargs):
    """Removed messages are kept as evidence but left out of every export: when the citizen has
    any, the received messages' section is given again without them (same shape as
    subscribers.selectors.subscriber_personal_data)."""
    if not subscriber.number:
        return None
    received = InboundMessage.objects.filter(sender=subscriber.number)
    removed = set(
        received.filter(ticket_message__removed_at__isnull=False).values_list("pk", flat=True)
    )
    if not removed:
        return None
    return (
        "received_messages",
        [
            {
                "at": message.sent_at.isoformat() if message.sent_at else None,
                "kind": message.get_kind_display(),
                "text": message.text,
                "attachment": message.media_filename or message.media_file.name or "",
            }
            for message in received.order_by("sent_at", "pk")
            if message.pk not in removed
        ],
    )


def ticket_message_stored(sender, instance: Message, created: bool, raw: bool = False, **kwargs):
    if created and not raw and instance.inbound_id and instance.origin == MessageOrigin.CITIZEN:
        ticket_message_note_flag(message=instance)


def give_the_comune_its_policy(sender, comune, preset: str = "", **kwargs) -> None:
    moderation_policy_give(comune=comune, preset=preset)


def lists_moved_with_the_activation(sender, moved: bool = False, **kwargs) -> None:
    if moved:
        moderation_lists_owners_changed()


def connect() -> None:
    comune_activated.connect(
        lists_moved_with_the_activation, dispatch_uid="moderation.comune_activated"
    )
    comune_loaded.connect(give_the_comune_its_policy, dispatch_uid="moderation.comune_policy")
    erasure_blockers.connect(legal_hold_reasons, dispatch_uid="moderation.legal_hold")
    erase_personal_data.connect(erase_moderation_texts, dispatch_uid="moderation.erase")
    collect_personal_data.connect(export_moderation, dispatch_uid="moderation.export")
    collect_personal_data.connect(
        export_without_removed_messages, dispatch_uid="moderation.export_without_removed"
    )
    post_save.connect(
        ticket_message_stored, sender=Message, dispatch_uid="moderation.ticket_message_stored"
    )
