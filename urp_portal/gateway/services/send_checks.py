"""The last word before the provider is called: checks named in settings.URP_OUTBOUND_SEND_CHECKS.

A message can wait a while between the moment a worker claims it (`sending`) and the call: for
a rate token, for the recipient's pace. Whatever happened meanwhile must still stop it; above
all a "Cancellami" (issue 21): the citizen got the confirmation and then the broadcast that was
claimed before they left. Cancelling the queued rows at the unsubscribe cannot reach a claimed
one, so each claimed message is asked again here, right before the call, after every wait.

Why here rather than making the confirmation wait for the citizen's in-flight sends: this check
needs no coordination between the unsubscribe and the workers, holds for every worker on every
machine, and costs one indexed read per message of a purpose that registers a check. What is
left is the time between this read and the HTTP request (a function call, well under a
millisecond), against the unsubscribe's commit, the hand-off of its confirmation through the
broker, the confirmation's claim, its rate token and its own HTTP request: the confirmation
cannot overtake it.

A check is `check(message) -> str`: "" lets it go, a text (for the operator, in Italian) stops
it and becomes the cancelled row's reason. The gateway imports no app: the checks are loaded by
name, like the inbound pipeline's steps.

A check may also say the same thing in SQL, as `check.claim_condition(message) -> (sql, params)`:
a boolean expression, true when the message may go ("" when the check has nothing to say about
this message). With the database fast paths on and every check able to, the conditions join the
claim's UPDATE (outbox_statements.py), and the send takes its rate token *before* the claim, so
the claim is still the last read before the call: one statement per message instead of two (a
broadcast's sends are the hot path). A claim the conditions refuse falls back to the plain steps
(claim, check in Python, cancel with the check's reason), so both paths end in the same states.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import cache

from django.conf import settings
from django.db import transaction
from django.utils.module_loading import import_string

from ..models import OutboundMessage
from ..states import OutboundState

logger = logging.getLogger(__name__)

SendCheck = Callable[[OutboundMessage], str]
ClaimCondition = tuple[str, list[object]]


@cache
def _checks(names: tuple[str, ...]) -> tuple[SendCheck, ...]:
    return tuple(import_string(name) for name in names)


def outbound_message_veto(message: OutboundMessage) -> str:
    """The first reason a check gives to stop this message now, or ""."""
    for check in _checks(tuple(getattr(settings, "URP_OUTBOUND_SEND_CHECKS", ()))):
        reason = check(message)
        if reason:
            return reason
    return ""


def outbound_message_claim_conditions(message: OutboundMessage) -> list[ClaimCondition] | None:
    """The checks of this message as SQL conditions for its claim, or None when one of them
    has no SQL form (then the claim is plain and the checks run in Python after it)."""
    conditions: list[ClaimCondition] = []
    for check in _checks(tuple(getattr(settings, "URP_OUTBOUND_SEND_CHECKS", ()))):
        condition = getattr(check, "claim_condition", None)
        if condition is None:
            return None
        sql, params = condition(message)
        if sql:
            conditions.append((sql, list(params)))
    return conditions


def outbound_message_cancel_claimed(*, message_id: int, reason: str) -> bool:
    """sending → cancelled for a claimed message that must not leave; nothing was sent."""
    with transaction.atomic():
        message = OutboundMessage.objects.select_for_update().get(pk=message_id)
        if message.state != OutboundState.SENDING:
            return False
        message.state = OutboundState.CANCELLED
        message.error_message = reason
        message.save(update_fields=["state", "error_message"])
    logger.info("outbound %s cancelled before the provider call: %s", message_id, reason)
    return True
