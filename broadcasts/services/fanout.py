"""Fan-out: one Delivery (and its outbox message) per recipient, handed to the gateway in batches.

Safety comes from the database, not from memory: the campaign's state changes under a row lock
(started twice, sent once), the unique constraint on (campaign, subscriber) is the last guard,
batches take deliveries with SKIP LOCKED (any number of workers), and everything a killed worker
left half done is found again by `campaigns_resume_stuck`.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Min, Q
from django.utils import timezone

from urp_portal.gateway.models import OutboundMessage
from urp_portal.gateway.services import outbound_messages_cancel
from urp_portal.gateway.states import OutboundState

from ..models import Campaign, Delivery
from ..selectors import campaign_recipients
from ..states import CampaignState, DeliveryState
from .reach import deliveries_within_reach
from .transitions import campaign_transition

logger = logging.getLogger(__name__)

PURPOSE = "broadcast"
# Higher goes first (OutboundMessage.priority): an emergency overtakes everything; a broadcast
# gives way to replies to citizens (priority 5), who are waiting for an answer.
EMERGENCY_PRIORITY = 9
BROADCAST_PRIORITY = 3
# A message in "sending" this long lost its worker: the gateway marks it for review; it no
# longer holds the campaign open.
_SENDING_STALE = dt.timedelta(minutes=5)
# A planned message waits for its batch: the gateway's sweep re-enqueues queued messages older
# than a few minutes unless `not_before` says later, and a broadcast's tail would otherwise be
# sent by the sweep, past the batches' pacing, in-flight limit and per-recipient re-check.
# Cleared at the hand-off. (Not datetime.max: shown in Europe/Rome it would overflow.)
HELD_UNTIL_HANDED_OFF = dt.datetime(9999, 1, 1, tzinfo=dt.UTC)


# --- planning -------------------------------------------------------------------------------------


def _outbound_prototype(campaign: Campaign) -> OutboundMessage:
    """The outbox row every recipient gets, but for `to`."""
    template = campaign.template
    media = campaign.image.name if campaign.image else ""
    if not media and template is not None and template.header_image:
        media = template.header_image.name
    return OutboundMessage(
        to="",
        purpose=PURPOSE,
        text="" if template is not None else campaign.text,
        template_name=template.name if template is not None else "",
        template_language=template.language if template is not None else "it",
        template_parameters=list(campaign.parameters) if template is not None else [],
        template_category=template.category if template is not None else "",
        template_provider_id=template.provider_id if template is not None else "",
        media_file=media,
        priority=EMERGENCY_PRIORITY if campaign.is_emergency else BROADCAST_PRIORITY,
        state=OutboundState.QUEUED,
        not_before=HELD_UNTIL_HANDED_OFF,
        # The campaign's comune: each message leaves from its number, with its token, and
        # counts against its portfolio's messaging limit (empty: the active comune's).
        comune_id=campaign.comune_id,
    )


def campaign_plan_deliveries(*, campaign: Campaign) -> int:
    """Write the campaign's deliveries and outbox messages, in the caller's transaction (the
    one that moves the campaign to "sending"). Returns how many."""
    prototype = _outbound_prototype(campaign)
    if connection.vendor == "postgresql":
        return _plan_with_insert_select(campaign, prototype)
    return _plan_with_bulk_create(campaign, prototype)


def _plan_with_insert_select(campaign: Campaign, prototype: OutboundMessage) -> int:
    """PostgreSQL: both tables filled from the subscribers table in one statement; no row
    travels to Python (100,000 recipients in about a second)."""
    outbox_columns, outbox_values, params = [], [], []
    for field in OutboundMessage._meta.concrete_fields:
        if field.primary_key:
            continue
        outbox_columns.append(connection.ops.quote_name(field.column))
        if field.attname == "to":
            outbox_values.append("r.number")
            continue
        # Every other column as Django would save it (auto_now_add stamps, JSON, files), so a
        # column the gateway adds later with a default needs no change here.
        value = field.pre_save(prototype, add=True)
        outbox_values.append("%s")
        params.append(field.get_db_prep_save(value, connection))
    recipients_sql, recipients_params = (
        campaign_recipients(campaign=campaign)
        .order_by()
        .values("id", "number")
        .query.sql_with_params()
    )
    now = timezone.now()
    outbox_table = connection.ops.quote_name(OutboundMessage._meta.db_table)
    delivery_table = connection.ops.quote_name(Delivery._meta.db_table)
    # The outbox ids are drawn from its sequence up front, so both inserts read the same
    # materialised recipients and no join matches rows back by number.
    sequence = f"pg_get_serial_sequence('{OutboundMessage._meta.db_table}', 'id')"
    sql = f"""
        WITH recipients AS MATERIALIZED (
            SELECT r.id, r.number, nextval({sequence}) AS message_id
            FROM ({recipients_sql}) r
        ),
        outbox AS (
            INSERT INTO {outbox_table} (id, {", ".join(outbox_columns)})
            SELECT r.message_id, {", ".join(outbox_values)} FROM recipients r
        )
        INSERT INTO {delivery_table}
            (campaign_id, subscriber_id, message_id, state, handed_off_at, created_at)
        SELECT %s, r.id, r.message_id, %s, NULL, %s FROM recipients r
    """  # noqa: S608 (table and column names come from the models, values are parameters)
    with connection.cursor() as cursor:
        cursor.execute(sql, [*recipients_params, *params, campaign.pk, DeliveryState.QUEUED, now])
        return cursor.rowcount


def _plan_with_bulk_create(campaign: Campaign, prototype: OutboundMessage) -> int:
    """Any database: chunks of recipients, each chunk's outbox rows then its deliveries."""
    chunk = settings.BROADCAST_PLAN_CHUNK
    common = {
        field.attname: getattr(prototype, field.attname)
        for field in OutboundMessage._meta.concrete_fields
        if not field.primary_key and field.attname != "to"
    }
    total, last_id = 0, 0
    while True:
        rows: list[tuple[int, str | None]] = list(
            campaign_recipients(campaign=campaign)
            .filter(pk__gt=last_id)
            .order_by("pk")
            .values_list("pk", "number")[:chunk]
        )
        if not rows:
            return total
        messages = OutboundMessage.objects.bulk_create(
            [OutboundMessage(**common, to=number or "") for _pk, number in rows], batch_size=chunk
        )
        Delivery.objects.bulk_create(
            [
                Delivery(campaign=campaign, subscriber_id=pk, message_id=message.pk)
                for (pk, _number), message in zip(rows, messages, strict=True)
            ],
            batch_size=chunk,
        )
        total += len(rows)
        last_id = rows[-1][0]


# --- sending --------------------------------------------------------------------------------------


def hand_to_gateway(message_ids: list[int]) -> None:
    """The one place where broadcast messages meet the gateway: one batch task. The send is
    idempotent (it sends only a message still queued), so handing a message twice sends it
    once."""
    from urp_portal.gateway.tasks import outbound_messages_send_batch

    if message_ids:
        outbound_messages_send_batch.delay(list(message_ids))


def enqueue_send_batch(campaign_id: int, *, countdown: float = 0) -> None:
    from ..tasks import campaign_send_batch

    campaign_send_batch.apply_async((campaign_id,), countdown=countdown or None)


@dataclass(frozen=True)
class BatchOutcome:
    handed_off: int = 0
    cancelled: int = 0
    finished: bool = False
    # Seconds until the next batch; None: this chain of batches ends.
    next_in: float | None = None


def _in_flight_messages(campaign: Campaign, now: dt.datetime):
    """Messages handed to the gateway and not yet out of the outbox."""
    return OutboundMessage.objects.filter(
        delivery__campaign=campaign, delivery__state=DeliveryState.HANDED_OFF
    ).filter(
        Q(state=OutboundState.QUEUED)
        | Q(
            state=OutboundState.SENDING,
            needs_review=False,
            sending_started_at__gt=now - _SENDING_STALE,
        )
    )


def _in_flight(campaign: Campaign, now: dt.datetime) -> int:
    """How many messages the gateway holds, read from the campaign's mark on: the handed-off
    deliveries of the last few batches, not all of them (a count over every delivery handed
    off so far made a 300,000-list's batches cost more the further it went). Moves the mark up
    to the lowest delivery still in flight or still to be handed off (ids only grow from there:
    batches take the lowest queued first), saved with the caller's update of the campaign."""
    found = (
        _in_flight_messages(campaign, now)
        .filter(delivery__id__gte=campaign.in_flight_from)
        .aggregate(count=Count("pk"), lowest=Min("delivery__id"))
    )
    lowest_queued = (
        Delivery.objects.filter(campaign=campaign, state=DeliveryState.QUEUED)
        .order_by("id")
        .values_list("id", flat=True)
        .first()
    )
    lows = [low for low in (found["lowest"], lowest_queued) if low is not None]
    if lows:
        campaign.in_flight_from = min(lows)
    return found["count"]


def _emergency_sending(*, besides: int) -> bool:
    return (
        Campaign.objects.filter(is_emergency=True, state=CampaignState.SENDING)
        .exclude(pk=besides)
        .exists()
    )


def campaign_send_next_batch(*, campaign_id: int, batch_size: int | None = None) -> BatchOutcome:
    """Hand the next deliveries to the gateway, re-checking each recipient now; finish the
    campaign when nothing is left. Keeps at most BROADCAST_MAX_IN_FLIGHT messages waiting at
    the gateway, so an emergency alert never queues behind a whole broadcast."""
    batch_size = batch_size or settings.BROADCAST_BATCH_SIZE
    # 0 turns the rate limiter off: then only BROADCAST_MAX_IN_FLIGHT paces the batches (it
    # used to be read as 1 message a second, a batch of 100 every 100 s).
    rate = float(settings.WHATSAPP_RATE_PER_SECOND)
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().get(pk=campaign_id)
        if campaign.state != CampaignState.SENDING:
            return BatchOutcome()
        now = timezone.now()
        campaign.last_batch_at = now
        if not campaign.is_emergency and _emergency_sending(besides=campaign.pk):
            campaign.save(update_fields=["last_batch_at"])
            return BatchOutcome(next_in=settings.BROADCAST_EMERGENCY_YIELD_SECONDS)

        in_flight = _in_flight(campaign, now)
        campaign.save(update_fields=["last_batch_at", "in_flight_from"])
        room = settings.BROADCAST_MAX_IN_FLIGHT - in_flight
        deliveries: list[Delivery] = []
        if room > 0:
            # With each subscriber's number, which the reach count reads (one query per
            # recipient without it: a third of a send's database statements).
            deliveries = list(
                Delivery.objects.select_for_update(skip_locked=True, of=("self",))
                .filter(campaign=campaign, state=DeliveryState.QUEUED)
                .select_related("subscriber")
                .only("id", "subscriber_id", "message_id", "subscriber__number")
                .order_by("id")[: min(batch_size, room)]
            )
        # Still a recipient now: the campaign's own definition, asked again for this batch.
        still = set(
            campaign_recipients(campaign=campaign)
            .filter(pk__in=[d.subscriber_id for d in deliveries])
            .values_list("pk", flat=True)
        )
        go = [d for d in deliveries if d.subscriber_id in still]
        stop = [d for d in deliveries if d.subscriber_id not in still]
        # Meta's messaging limit: what does not fit stays queued for a later batch.
        within = deliveries_within_reach(go, now=now)
        go = within.go
        if stop:
            # Wrote "Cancellami" (or was blocked) after the campaign started: nothing more.
            Delivery.objects.filter(pk__in=[d.pk for d in stop]).update(
                state=DeliveryState.CANCELLED
            )
            outbound_messages_cancel(message_ids=[d.message_id for d in stop])
        if go:
            Delivery.objects.filter(pk__in=[d.pk for d in go]).update(
                state=DeliveryState.HANDED_OFF, handed_off_at=now
            )
            message_ids = [d.message_id for d in go]
            # Due from now: still queued a little after this, its send task was lost with a
            # worker, and the gateway's recovery hands it again (gateway/services/recovery.py).
            OutboundMessage.objects.filter(pk__in=message_ids).update(not_before=now)
            if within.counted_message_ids:
                OutboundMessage.objects.filter(pk__in=within.counted_message_ids).update(
                    reach_counted_at=now
                )
            # robust: a broker blip must not stop the next batch being scheduled (and the
            # lost hand-off is found again by campaigns_resume_stuck).
            transaction.on_commit(lambda: hand_to_gateway(message_ids), robust=True)

        if deliveries and not go and not stop and within.next_free_at is not None:
            # Everything left waits for Meta's messaging limit: come back when a place frees.
            outcome = BatchOutcome(next_in=max(1.0, (within.next_free_at - now).total_seconds()))
        elif deliveries:
            # The next batch is due when the gateway is down to its last batch: never idle
            # waiting for a hand-off, never holding more than two batches' worth.
            holding = in_flight + len(go)
            outcome = BatchOutcome(
                handed_off=len(go),
                cancelled=len(stop),
                next_in=max(0.0, (holding - batch_size) / rate) if rate > 0 else 0.0,
            )
        elif (
            room > 0
            and not _queued_left(campaign)
            # All of them, not from the mark: the few times the last batches are waited for,
            # and a message an operator put back in the queue (recovery.py) is counted too.
            and not _in_flight_messages(campaign, now).exists()
        ):
            campaign.finished_at = now
            campaign_transition(
                campaign=campaign,
                to=CampaignState.SENT,
                actor=None,
                reason="",
                fields=["finished_at"],
            )
            return BatchOutcome(finished=True)
        else:
            # Waiting for the gateway to take what it has (or for a batch another worker holds).
            outcome = BatchOutcome(next_in=settings.BROADCAST_WAIT_SECONDS)
        # After the hand-off, so a worker running tasks eagerly sends before the next batch.
        next_in = outcome.next_in
        transaction.on_commit(
            lambda: enqueue_send_batch(campaign_id, countdown=next_in or 0), robust=True
        )
        return outcome


def _queued_left(campaign: Campaign) -> bool:
    return Delivery.objects.filter(campaign=campaign, state=DeliveryState.QUEUED).exists()


# --- cancelling and resuming ----------------------------------------------------------------------


def deliveries_cancel_pending(*, campaign_id: int | None = None, subscriber_id: int | None = None):
    """Cancel what has not left yet, of a campaign or of a subscriber: queued deliveries, and
    the outbox messages of any delivery the gateway has not sent yet."""
    # By id across comuni: a citizen's deliveries are their comune's campaigns', whoever asks
    # (the citizen's own "Cancellami", the erasure, a staff member's cancel).
    deliveries = Delivery.all_comuni.all()
    if campaign_id is not None:
        deliveries = deliveries.filter(campaign_id=campaign_id)
    if subscriber_id is not None:
        deliveries = deliveries.filter(subscriber_id=subscriber_id)
    pending = deliveries.filter(
        state__in=[DeliveryState.QUEUED, DeliveryState.HANDED_OFF],
        message__state=OutboundState.QUEUED,
    )
    message_ids = list(pending.values_list("message_id", flat=True))
    cancelled = outbound_messages_cancel(message_ids=message_ids)
    deliveries.filter(state=DeliveryState.QUEUED).update(state=DeliveryState.CANCELLED)
    return cancelled


def campaigns_resume_stuck(*, now: dt.datetime | None = None) -> list[int]:
    """Find sending campaigns whose chain of batches died with a worker, and hand again the
    messages whose send task was lost; both are safe to repeat."""
    now = now or timezone.now()
    stale = now - dt.timedelta(seconds=settings.BROADCAST_STUCK_AFTER_SECONDS)
    stuck = list(
        Campaign.objects.filter(state=CampaignState.SENDING)
        .filter(Q(last_batch_at__lt=stale) | Q(last_batch_at__isnull=True))
        .values_list("pk", flat=True)
    )
    for campaign_id in stuck:
        logger.warning("Campaign %s: no batch since %s, resuming", campaign_id, stale)
        enqueue_send_batch(campaign_id)
    lost = list(
        Delivery.objects.filter(
            campaign__state__in=[CampaignState.SENDING, CampaignState.PAUSED],
            state=DeliveryState.HANDED_OFF,
            handed_off_at__lt=now - dt.timedelta(seconds=settings.BROADCAST_LOST_AFTER_SECONDS),
            message__state=OutboundState.QUEUED,
        ).values_list("message_id", flat=True)[: settings.BROADCAST_MAX_IN_FLIGHT]
    )
    if lost:
        logger.warning("%d broadcast messages handed off but never sent: handing again", len(lost))
        hand_to_gateway(lost)
    return stuck
