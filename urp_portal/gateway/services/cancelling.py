"""The one door for not sending: other apps (a broadcast's recipient who left, an erased number)
cancel outbox messages here, never by setting the state themselves."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction

from ..models import OutboundMessage
from ..states import OutboundState


@transaction.atomic
def outbound_messages_cancel(*, message_ids: Iterable[int]) -> int:
    """Cancel those of the messages that no worker has taken yet; returns how many. A message
    already sending, sent or failed is left as it is: the send's own outcome stands.

    One conditional UPDATE is the lock and the transition check together (the row is locked
    by the statement and its state re-read under that lock), so a worker claiming the same
    message either took it first or finds it cancelled. The outbox keeps no event row per
    state: the row's state is its history's last word, the provider's statuses the rest."""
    ids = list(message_ids)
    if not ids:
        return 0
    return OutboundMessage.objects.filter(pk__in=ids, state=OutboundState.QUEUED).update(
        state=OutboundState.CANCELLED
    )
