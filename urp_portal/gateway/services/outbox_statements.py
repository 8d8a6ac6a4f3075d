"""The outbox's two writes of every send, claim (queued → sending) and record (sending → sent),
as hand-written SQL built once from the model: they run twice per message of every broadcast.
With `URP_DATABASE_FAST_PATHS` off the same two UPDATEs go through the ORM (the plain path: the
same rows change, at about twice the CPU per send)."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from functools import cache
from typing import Any

from django.conf import settings
from django.db import InterfaceError, OperationalError, connection
from django.db.models import F
from django.utils import timezone

from .. import lanes, ratelimit, worker_life
from ..models import OutboundMessage
from ..states import OutboundState
from .send_checks import outbound_message_claim_conditions

logger = logging.getLogger(__name__)

# Tries to record a message the provider accepted (0.5 + 1 + 2 + 4 + 8 s of pauses between).
RECORD_SENT_ATTEMPTS = 6


# The two statements of every send, written once from the model: building them with the ORM
# costs about as much as running them (~1 ms each on a 2-CPU server), and they run twice per
# message for every message a broadcast sends.
@cache
def _send_statements() -> tuple[str, str]:
    meta = OutboundMessage._meta
    table = connection.ops.quote_name(meta.db_table)

    columns = {field.name: field.column for field in meta.concrete_fields}

    def column(name: str) -> str:
        return connection.ops.quote_name(columns[name])

    claim = (
        f"UPDATE {table} SET {column('state')} = %s, {column('sending_started_at')} = %s, "  # noqa: S608
        f"{column('attempts')} = {column('attempts')} + 1, {column('not_before')} = NULL, "
        f"{column('held_by')} = %s "
        f"WHERE {column('id')} = %s AND {column('state')} = %s"
    )
    record = (
        f"UPDATE {table} SET {column('state')} = %s, {column('provider_id')} = %s, "  # noqa: S608
        f"{column('sent_at')} = %s, {column('needs_review')} = %s, {column('error_code')} = '', "
        f"{column('error_message')} = '' WHERE {column('id')} = %s"
    )
    return claim, record


def _claim(
    message: OutboundMessage, *, conditions: Sequence[tuple[str, Sequence[object]]] = ()
) -> bool:
    """queued → sending, committed before the provider is called. One conditional UPDATE (its
    own transaction): of two tasks for the same row only one matches `state = queued`, which is
    what select_for_update and a re-read gave in three round trips more. `conditions`: the
    send checks in SQL (send_checks.py), fast path only; False also when one of them refuses."""
    now = timezone.now()
    # Which worker run holds it, for the recovery if that run dies (recovery.py).
    held_by = worker_life.current_run()
    if not settings.URP_DATABASE_FAST_PATHS:
        claimed = OutboundMessage.objects.filter(pk=message.pk, state=OutboundState.QUEUED).update(
            state=OutboundState.SENDING,
            sending_started_at=now,
            attempts=F("attempts") + 1,
            not_before=None,
            held_by=held_by,
        )
    else:
        claim, _record = _send_statements()
        params: list[Any] = [
            OutboundState.SENDING,
            connection.ops.adapt_datetimefield_value(now),
            held_by,
            message.pk,
            OutboundState.QUEUED,
        ]
        for sql, condition_params in conditions:
            claim += f" AND {sql}"
            params.extend(condition_params)
        with connection.cursor() as cursor:
            cursor.execute(claim, params)
            claimed = cursor.rowcount
    if claimed:
        message.state = OutboundState.SENDING
        message.sending_started_at = now
        message.attempts += 1
        message.not_before = None
    return bool(claimed)


def _record_sent(message_id: int, *, provider_id: str) -> None:
    """sending → sent with the provider's id: one UPDATE. Nothing else moves a row that is
    `sending` (statuses need the provider id stored here; cancelling takes only queued rows),
    so no lock is needed. It also clears a review flag: known to be sent exactly once, whoever
    flagged it while we were in flight was wrong. Only this process knows the provider took the
    message: if the database is restarting now, the row would stay `sending` and go to review
    although it left once, so the write is tried again for about 15 s (a restart takes a few)
    before giving up."""
    _claim_sql, record = _send_statements()
    pause = 0.5
    for attempt in range(RECORD_SENT_ATTEMPTS):
        try:
            if not settings.URP_DATABASE_FAST_PATHS:
                OutboundMessage.objects.filter(pk=message_id).update(
                    state=OutboundState.SENT,
                    provider_id=provider_id,
                    sent_at=timezone.now(),
                    needs_review=False,
                    error_code="",
                    error_message="",
                )
                return
            with connection.cursor() as cursor:
                cursor.execute(
                    record,
                    [
                        OutboundState.SENT,
                        provider_id,
                        connection.ops.adapt_datetimefield_value(timezone.now()),
                        False,
                        message_id,
                    ],
                )
            return
        except (OperationalError, InterfaceError):
            if attempt == RECORD_SENT_ATTEMPTS - 1:
                raise
            logger.warning(
                "outbound %s sent as %s; the database is unreachable, recording it again in %.1f s",
                message_id,
                provider_id,
                pause,
            )
            connection.close()
            time.sleep(pause)
            pause *= 2


def _claim_for_call(message: OutboundMessage, *, number: str = "") -> tuple[bool, bool]:
    """Claim the message and take its rate token (of the business number it leaves from,
    `number`; "": the deployment's own): (claimed, checked), `checked` when the send checks
    rode on the claim (send_checks.py) and need not run again before the call."""
    send_class = lanes.send_class(message.priority)
    conditions = (
        outbound_message_claim_conditions(message) if settings.URP_DATABASE_FAST_PATHS else None
    )
    if conditions is None:
        if not _claim(message):
            return False, False
        # After the claim, right before the call: the token paces what reaches the provider,
        # and the claim's own time (a database round trip, uneven) must not bunch sends.
        ratelimit.take_global_token(send_class, number=number)
        return True, False
    # The checks ride on the claim, which must then be the last read before the call: the
    # token first (a claim refused after it wastes one token, rarely).
    ratelimit.take_global_token(send_class, number=number)
    if _claim(message, conditions=conditions):
        return True, True
    # No longer queued, or a check refuses: the plain steps tell which, and cancel with the
    # check's own reason.
    return _claim(message), False
