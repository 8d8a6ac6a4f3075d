"""The one door for a citizen's status (STYLE.md): every service that moves it, in this app (the
subscribe and unsubscribe, the erasure) or in another (moderation's block, unblock, lapse and
flood block), goes through `subscriber_status_change`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import transaction

from urp_portal.audit.services import audit_record
from urp_portal.audit.states import AuditAction

from ..models import Subscriber
from ..signals import subscriber_unsubscribed
from ..states import SubscriberStatus, subscriber_transition_check


@transaction.atomic
def subscriber_status_change(
    *,
    subscriber: Subscriber,
    status: str,
    actor: Any,
    reason: str = "",
    fields: Sequence[str] = (),
) -> Subscriber:
    """Move the citizen to `status` along SUBSCRIBER_TRANSITIONS (SubscriberTransitionError
    otherwise), saving `fields` too (changes the caller made on the same instance, such as the
    erasure's blanked data), and record who did it, from what, to what and why. Leaving the
    broadcast list this way (a block, an erasure) is announced like an unsubscribe.

    The status is read again under the row's lock, so a change made meanwhile by another
    transaction is checked, not overwritten; the caller's own event row (the moderation action,
    the consent ledger) goes in the same transaction."""
    current = (
        Subscriber.objects.select_for_update()
        .values_list("status", flat=True)
        .get(pk=subscriber.pk)
    )
    subscriber_transition_check(current, status)
    subscriber.status = status
    subscriber.save(update_fields=["status", *fields, "updated_at"])
    audit_record(
        actor=actor,
        action=AuditAction.STATE_CHANGED,
        target=subscriber,
        details={"from": current, "to": status, **({"reason": reason} if reason else {})},
    )
    if current == SubscriberStatus.SUBSCRIBED and status != SubscriberStatus.SUBSCRIBED:
        subscriber_unsubscribed.send(sender=Subscriber, subscriber=subscriber)
    return subscriber
