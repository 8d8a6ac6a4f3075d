"""One citizen however WhatsApp names them: by phone number, by business-scoped user id (BSUID,
from 2026 the only name of a citizen with a username who shares no number), or both.

- A message carrying both links them on one Subscriber (a citizen known by BSUID alone who
  later shares the number keeps their row, and so their tickets and consent history).
- WhatsApp's system notices (`user_changed_number`, `user_changed_user_id`) move the citizen
  to the new identifiers on the same row: subscription, consent history, open tickets and
  blocks all hang from the row, so they move with it. A ledger record (pseudonymous, like the
  rest of the ledger) and an audit event say when; no ticket is opened.
- `user_preferences` (the citizen stopped or resumed marketing messages in WhatsApp) is kept
  on the row and in the consent ledger, WhatsApp as the channel.
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone

from urp_portal.audit.services import audit_record
from urp_portal.audit.states import AuditAction, AuditChannel
from urp_portal.gateway.adapters.base import is_business_scoped_user_id
from urp_portal.gateway.models import InboundMessage, OutboundMessage
from urp_portal.municipality.scope import current_comune, owned_by

from ..models import Subscriber
from ..pseudonyms import number_pseudonym
from ..states import ConsentChannel, ConsentKind, SubscriberStatus

logger = logging.getLogger(__name__)


def _identifiers(*, sender: str, user_id: str) -> tuple[str, str]:
    """(phone in E.164 or "", BSUID or "") of a message's sender."""
    if is_business_scoped_user_id(sender):
        return "", user_id or sender
    return sender, user_id


def subscriber_find(*, phone: str = "", user_id: str = "") -> Subscriber | None:
    """The living citizen with this number or this BSUID (the number wins), locked: of the
    comune of the running scope, when there is one (another comune's citizen with the same
    phone is someone else's)."""
    live = (
        Subscriber.objects.select_for_update()
        .exclude(status=SubscriberStatus.ANONYMISED)
        .filter(owned_by(current_comune()))
    )
    if phone:
        found = live.filter(number=phone).first()
        if found is not None:
            return found
    if user_id:
        return (
            live.filter(wa_user_id=user_id).order_by("pk").first()
            or live.filter(number=user_id).first()
        )
    return None


def subscriber_touch_identity(*, message: InboundMessage) -> tuple[Subscriber, bool]:
    """The sender of a message, (created?), locked: found by number or BSUID, created on first
    contact, and linked when the message names both. Call inside the pipeline's transaction."""
    phone, user_id = _identifiers(sender=message.sender, user_id=message.sender_user_id)
    username = str((message.extra or {}).get("username") or "")
    subscriber = subscriber_find(phone=phone, user_id=user_id)
    if subscriber is None:
        key = phone or user_id
        pseudonym = number_pseudonym(key)
        now = timezone.now()
        comune = current_comune()
        subscriber, created = Subscriber.objects.select_for_update().get_or_create(
            number=key,
            comune=comune,
            defaults={
                "pseudonym": pseudonym,
                "previous": lambda: (
                    Subscriber.objects.filter(
                        owned_by(comune), pseudonym=pseudonym, status=SubscriberStatus.ANONYMISED
                    )
                    .order_by("-anonymised_at", "-pk")
                    .first()
                ),
                "wa_user_id": user_id,
                "wa_username": username,
                "profile_name": message.profile_name,
                "first_contact_at": message.sent_at or now,
                "last_inbound_at": message.sent_at or now,
            },
        )
        if created:
            return subscriber, True
    changed = []
    if phone and subscriber.number != phone:
        # Known by BSUID alone until now: the number WhatsApp shares becomes the address.
        subscriber.number = phone
        changed.append("number")
    if user_id and subscriber.wa_user_id != user_id:
        subscriber.wa_user_id = user_id
        changed.append("wa_user_id")
    if username and subscriber.wa_username != username:
        subscriber.wa_username = username
        changed.append("wa_username")
    if changed:
        subscriber.save(update_fields=[*changed, "updated_at"])
    return subscriber, False


@transaction.atomic
def subscriber_identity_change(*, message: InboundMessage) -> Subscriber | None:
    """Apply WhatsApp's notice of a new number or BSUID (a `system` message): the same row
    takes the new identifiers. None when we never heard of the citizen (nothing to move)."""
    from .subscription import consent_record_create

    system = (message.extra or {}).get("system") or {}
    phone, old_user_id = _identifiers(sender=message.sender, user_id=message.sender_user_id)
    previous_user_id = str(system.get("previous_user_id") or "") or old_user_id
    subscriber = subscriber_find(phone=phone, user_id=previous_user_id)
    if subscriber is None:
        logger.info("identity change for a citizen we do not know: nothing to move")
        return None
    new_number = str(system.get("new_number") or "")
    new_user_id = str(system.get("new_user_id") or "")
    taken = (
        Subscriber.objects.filter(owned_by(current_comune()), number=new_number)
        .exclude(pk=subscriber.pk)
        .exclude(status=SubscriberStatus.ANONYMISED)
        .first()
        if new_number
        else None
    )
    if taken is not None:
        # The new number already wrote to us as someone else: two histories of one person.
        # Merging them is an operator's decision; the old row keeps its number meanwhile.
        logger.warning(
            "subscriber %s changed number to the one of subscriber %s: not merged",
            subscriber.pk,
            taken.pk,
        )
        new_number = ""
    changed = []
    if new_number and subscriber.number != new_number:
        subscriber.number = new_number
        changed.append("number")
    elif not new_number and new_user_id and subscriber.number == subscriber.wa_user_id:
        # Known by BSUID alone: the new BSUID is the new address.
        subscriber.number = new_user_id
        changed.append("number")
    if new_user_id and subscriber.wa_user_id != new_user_id:
        subscriber.wa_user_id = new_user_id
        changed.append("wa_user_id")
    if not changed:
        return subscriber
    old_key = Subscriber.objects.values_list("number", flat=True).get(pk=subscriber.pk)
    subscriber.save(update_fields=[*changed, "updated_at"])
    if "number" in changed and old_key:
        # The citizen's past messages and our queued answers follow them to the new address
        # (the 24-hour window, the conversation, the erasure all read them by it).
        InboundMessage.objects.filter(sender=old_key).update(sender=subscriber.number)
        OutboundMessage.objects.filter(to=old_key).update(to=subscriber.number)
    consent_record_create(
        subscriber=subscriber,
        kind=ConsentKind.IDENTITY_CHANGE,
        channel=ConsentChannel.WHATSAPP,
        at=message.sent_at,
        message=message,
    )
    audit_record(
        actor=None,
        action=AuditAction.SUBSCRIBER_IDENTITY_CHANGED,
        target=subscriber,
        channel=AuditChannel.SYSTEM,
        # Which identifiers changed, never their values (the audit outlives an erasure).
        details={"changed": changed, "notice": str(system.get("type") or "")},
    )
    return subscriber


MARKETING_CATEGORY = "marketing_messages"


@transaction.atomic
def subscriber_marketing_preference(
    *, subscriber: Subscriber, message: InboundMessage
) -> Subscriber:
    """The citizen stopped (`stop`) or resumed (`resume`) marketing messages in WhatsApp."""
    from .subscription import consent_record_create

    preference = (message.extra or {}).get("preference") or {}
    value = str(preference.get("value") or "").lower()
    if preference.get("category") != MARKETING_CATEGORY or value not in ("stop", "resume"):
        return subscriber
    subscriber = Subscriber.objects.select_for_update().get(pk=subscriber.pk)
    stopped = value == "stop"
    if stopped == (subscriber.marketing_stopped_at is not None):
        return subscriber
    subscriber.marketing_stopped_at = message.sent_at if stopped else None
    subscriber.save(update_fields=["marketing_stopped_at", "updated_at"])
    consent_record_create(
        subscriber=subscriber,
        kind=ConsentKind.MARKETING_STOP if stopped else ConsentKind.MARKETING_RESUME,
        channel=ConsentChannel.WHATSAPP,
        at=message.sent_at,
        message=message,
    )
    return subscriber
