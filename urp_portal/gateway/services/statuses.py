"""Provider statuses move outbound messages forward only, many at a time.

A broadcast at 80 messages/s brings about 240 status webhooks/s (sent, delivered, read each).
Applied one by one (a task, a locked read and an UPDATE per status) they cost ~40 ms of worker
CPU each and fell behind the campaign. Here a group of statuses is applied with one locking
read of the messages they name (in id order, so two groups never deadlock), one UPDATE of the
rows that change and one INSERT of the statuses whose message is not known yet.

The result does not depend on the order in which the statuses arrive or are grouped, so a group
ends exactly where the same statuses applied one by one, in any order, end:
- the state is the furthest of queued → sending → sent → delivered → read that any status (or
  the row) reached; delivered and read win over failed (WhatsApp may report a failure for one of
  a citizen's devices and delivery on another), failed wins over sent;
- delivered_at and read_at are the earliest time any status proves them ("read" proves
  "delivered" too: WhatsApp skips "delivered" for a message read at once); sent_at is ours (set
  when the provider accepted the message) and is only filled in when missing;
- the error of a failure is the earliest failed status's;
- pricing and conversation come from the latest status that carries them.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.db import transaction

from ..adapters.base import ParsedStatus, StatusPricing
from ..models import OutboundMessage, PendingStatus
from ..states import OUTBOUND_PROGRESS, OutboundState
from .status_statements import outbound_rows_write

_PROGRESS: dict[str, int] = {str(state): rank for state, rank in OUTBOUND_PROGRESS.items()}
_DELIVERED = OUTBOUND_PROGRESS[OutboundState.DELIVERED]
# The time fields statuses may move earlier, with the rank that proves each.
_PROVEN_TIME = {"delivered_at": _DELIVERED, "read_at": OUTBOUND_PROGRESS[OutboundState.READ]}
_PRICING_FIELDS = {
    "pricing_category": "category",
    "pricing_type": "type",
    "pricing_model": "model",
    "billable": "billable",
    "conversation_id": "conversation_id",
    "conversation_origin": "conversation_origin",
    "conversation_expires_at": "conversation_expires_at",
}
# Read under the lock: what the fold looks at.
_LOCKED_FIELDS = (
    "id",
    "provider_id",
    "to",
    "state",
    "sent_at",
    "failed_at",
    "error_code",
    "error_message",
    *_PROVEN_TIME,
    *_PRICING_FIELDS,
)


@dataclass
class _Folded:
    """Everything a group says about one message, reduced to what the row needs."""

    rank: int = -1
    proven: dict[str, dt.datetime] = field(default_factory=dict)
    failure: ParsedStatus | None = None
    priced: ParsedStatus | None = None
    first_at: dt.datetime | None = None

    def add(self, status: ParsedStatus) -> None:
        if self.first_at is None or status.at < self.first_at:
            self.first_at = status.at
        if status.pricing is not None and (self.priced is None or status.at >= self.priced.at):
            self.priced = status
        if status.status == OutboundState.FAILED:
            if self.failure is None or status.at < self.failure.at:
                self.failure = status
            return
        rank = _PROGRESS.get(status.status)
        if rank is None:
            return
        self.rank = max(self.rank, rank)
        for name, needed in _PROVEN_TIME.items():
            if rank >= needed and (name not in self.proven or status.at < self.proven[name]):
                self.proven[name] = status.at


def _fold_into(message: OutboundMessage, folded: _Folded) -> set[str]:
    """Apply a message's folded statuses to its locked row; the names of the fields changed."""
    if message.state == OutboundState.CANCELLED:
        return set()
    changed: set[str] = set()
    current = _PROGRESS.get(message.state, -1)
    if max(current, folded.rank) >= _DELIVERED:
        target = max(current, folded.rank)
        if message.state == OutboundState.FAILED:
            # It reached the citizen after all: the failure was not the last word.
            message.failed_at = None
            message.error_code = ""
            message.error_message = ""
            changed |= {"failed_at", "error_code", "error_message"}
        if message.state == OutboundState.FAILED or target > current:
            message.state = next(s for s, r in OUTBOUND_PROGRESS.items() if r == target)
            changed.add("state")
        for name, at in folded.proven.items():
            known = getattr(message, name)
            if known is None or at < known:
                setattr(message, name, at)
                changed.add(name)
        if message.sent_at is None and folded.first_at is not None:
            message.sent_at = folded.first_at
            changed.add("sent_at")
    elif folded.failure is not None and message.state != OutboundState.FAILED:
        failure = folded.failure
        message.state = OutboundState.FAILED
        message.failed_at = failure.at
        message.error_code = failure.error_code[:20]
        message.error_message = failure.error_message
        changed |= {"state", "failed_at", "error_code", "error_message"}
    elif folded.rank > current and message.state != OutboundState.FAILED:
        message.state = next(s for s, r in OUTBOUND_PROGRESS.items() if r == folded.rank)
        changed.add("state")
        if message.sent_at is None and folded.first_at is not None:
            message.sent_at = folded.first_at
            changed.add("sent_at")
    if folded.priced is not None and folded.priced.pricing is not None:
        pricing = folded.priced.pricing
        for name, attribute in _PRICING_FIELDS.items():
            value = getattr(pricing, attribute)
            if value in ("", None) or getattr(message, name) == value:
                continue
            setattr(message, name, value)
            changed.add(name)
    return changed


def _fold_all(statuses: Iterable[ParsedStatus]) -> dict[str, _Folded]:
    folded: dict[str, _Folded] = defaultdict(_Folded)
    for status in statuses:
        folded[status.provider_id].add(status)
    return folded


@dataclass(frozen=True)
class StatusesApplied:
    # Messages whose row changed.
    changed: int
    # Provider ids with no message yet: kept as PendingStatus; call
    # outbound_statuses_apply_pending with them after the caller's transaction commits.
    unmatched: frozenset[str]
    # Provider ids of messages whose recipient was erased (their row keeps no number).
    erased: frozenset[str]


def _apply_locked(folded: dict[str, _Folded]) -> tuple[int, set[str], set[str]]:
    """Lock the named messages in id order, fold each, write the changed rows. Returns how many
    changed, the provider ids found, and those of rows with no recipient left."""
    messages = list(
        OutboundMessage.objects.select_for_update()
        .filter(provider_id__in=list(folded))
        .order_by("pk")
        .only(*_LOCKED_FIELDS)
    )
    changed_rows: list[OutboundMessage] = []
    fields: set[str] = set()
    for message in messages:
        changed = _fold_into(message, folded[message.provider_id])
        if changed:
            changed_rows.append(message)
            fields |= changed
    outbound_rows_write(changed_rows, sorted(fields))
    erased = {m.provider_id for m in messages if not m.to}
    return len(changed_rows), {m.provider_id for m in messages}, erased


def outbound_statuses_apply(*, statuses: Sequence[ParsedStatus]) -> StatusesApplied:
    """Apply a group of provider statuses in one transaction (see the module's docstring)."""
    if not statuses:
        return StatusesApplied(changed=0, unmatched=frozenset(), erased=frozenset())
    folded = _fold_all(statuses)
    with transaction.atomic():
        changed, matched, erased = _apply_locked(folded)
        unmatched = set(folded) - matched
        if unmatched:
            PendingStatus.objects.bulk_create(
                [
                    PendingStatus(
                        provider_id=status.provider_id,
                        status=status.status,
                        at=status.at,
                        error_code=status.error_code[:20],
                        error_message=status.error_message,
                        pricing=status.pricing.as_json() if status.pricing else {},
                    )
                    for status in statuses
                    if status.provider_id in unmatched
                ],
                ignore_conflicts=True,
            )
    return StatusesApplied(
        changed=changed,
        unmatched=frozenset(unmatched),
        erased=frozenset(erased),
    )


def outbound_statuses_apply_pending(*, provider_ids: Iterable[str]) -> int:
    """Apply the statuses kept for these provider ids whose messages are known now; returns how
    many statuses were applied.

    Both sides call this after committing their own write: the send after storing the provider
    id, the status after storing the PendingStatus. Whichever commits second sees the other's
    row, so an early status is never stranded; applying twice is harmless (the fold is
    idempotent)."""
    provider_ids = sorted(set(provider_ids))
    if not provider_ids:
        return 0
    with transaction.atomic():
        # The messages first, then the pending rows: the order every writer of both takes.
        known = list(
            OutboundMessage.objects.select_for_update()
            .filter(provider_id__in=provider_ids)
            .order_by("pk")
            .values_list("provider_id", flat=True)
        )
        if not known:
            return 0
        pending = list(
            PendingStatus.objects.select_for_update().filter(provider_id__in=known).order_by("pk")
        )
        if not pending:
            return 0
        statuses = [
            ParsedStatus(
                provider_id=row.provider_id,
                status=row.status,
                at=row.at,
                error_code=row.error_code,
                error_message=row.error_message,
                pricing=StatusPricing.from_json(row.pricing),
            )
            for row in pending
        ]
        _apply_locked(_fold_all(statuses))
        PendingStatus.objects.filter(pk__in=[p.pk for p in pending]).delete()
    return len(pending)


# --- one status at a time (the same fold, for the callers that have one) ----------------------


def outbound_message_apply_status(*, status: ParsedStatus) -> bool:
    """Move the message the status speaks of. False when no message has that provider id yet:
    the status is then kept as a PendingStatus, and the caller must call
    outbound_message_apply_pending after its transaction commits."""
    return not outbound_statuses_apply(statuses=[status]).unmatched


def outbound_message_apply_pending(*, provider_id: str) -> int:
    return outbound_statuses_apply_pending(provider_ids=[provider_id])
