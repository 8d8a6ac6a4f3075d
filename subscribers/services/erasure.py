"""Erasure (GDPR art. 17 and the comune's retention period): the citizen's personal data is
destroyed or anonymised everywhere, the row stays so statistics and the consent ledger add up."""

import datetime as dt
import hashlib
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from urp_portal.audit.services import audit_record
from urp_portal.audit.states import AuditAction, AuditChannel
from urp_portal.gateway.models import InboundMessage, OutboundMessage, WebhookEvent
from urp_portal.gateway.services import outbound_messages_cancel
from urp_portal.gateway.states import OutboundState
from urp_portal.municipality.models import Municipality
from urp_portal.municipality.scope import comune_scope
from urp_portal.municipality.selectors import municipality_scope_of_row

from ..models import DataSubjectRequest, OutboundScrub, Subscriber
from ..selectors import gateway_rows_of_comune, subscriber_gateway_rows
from ..signals import erase_personal_data, erasure_blockers
from ..states import (
    ConsentChannel,
    ConsentKind,
    DataSubjectRequestKind,
    DataSubjectRequestOutcome,
    SubscriberStatus,
)
from .status import subscriber_status_change
from .subscription import consent_record_create

if TYPE_CHECKING:
    from django.contrib.auth.models import User

logger = logging.getLogger(__name__)

# What an erased outbox row says instead of its text (the row must keep some content).
ERASED_TEXT = "[cancellato]"
# States in which an outbox row may still be handed to WhatsApp.
PENDING_OUTBOUND = (OutboundState.QUEUED, OutboundState.SENDING)
# A row kept for sending that is still not sent after this long is scrubbed anyway.
OUTBOUND_SCRUB_GRACE = dt.timedelta(days=2)


@dataclass
class ErasureResult:
    subscriber: Subscriber
    erased: bool
    # Why it had to wait (from `erasure_blockers` receivers); empty when erased.
    reasons: list[str] = field(default_factory=list)


def subscriber_erasure_blockers(*, subscriber: Subscriber) -> list[str]:
    reasons: list[str] = []
    for _receiver, answer in erasure_blockers.send(sender=Subscriber, subscriber=subscriber):
        reasons.extend(str(reason) for reason in answer or [])
    return reasons


def data_subject_request_create(
    *,
    subscriber: Subscriber,
    kind: str,
    outcome: str,
    reason: str,
    channel: str,
    actor: str,
    user: "User | None" = None,
    details: dict | None = None,
    at: dt.datetime | None = None,
) -> DataSubjectRequest:
    return DataSubjectRequest.objects.create(
        subscriber=subscriber,
        pseudonym=subscriber.pseudonym,
        kind=kind,
        outcome=outcome,
        reason=reason,
        details=details or {},
        channel=channel,
        requested_by=user,
        actor=actor or (user.get_username() if user else _("sistema")),
        at=at or timezone.now(),
    )


def _scrubbed_outbound(message: OutboundMessage) -> list[str]:
    message.to = ""
    message.text = ERASED_TEXT
    message.template_parameters = []
    message.media_url = ""
    message.media_file = ""
    message.error_message = ""
    return ["to", "text", "template_parameters", "media_url", "media_file", "error_message"]


def _erase_gateway_data(
    *, number: str, since: dt.datetime | None, keep_outbound_ids: Iterable[int], rows: Q
) -> None:
    """Everything the WhatsApp port holds about the number: received messages (text, profile,
    media), sent messages (recipient, text) and the raw webhook bodies that name it."""
    keep = set(keep_outbound_ids)
    files = []
    event_ids: set[int] = set()
    # `rows`: the citizen's comune's only (subscriber_gateway_rows).
    inbound = list(InboundMessage.objects.select_for_update().filter(rows, sender=number))
    for message in inbound:
        if message.media_file:
            files.append(message.media_file.name)
        if message.event_id:
            event_ids.add(message.event_id)
        # WhatsApp's message ids encode the sender's number: keep a stand-in, still unique.
        message.provider_id = "erased:" + hashlib.sha256(message.provider_id.encode()).hexdigest()
        message.sender = ""
        message.sender_user_id = ""
        message.profile_name = ""
        message.text = ""
        message.media_id = ""
        message.media_mime_type = ""
        message.media_filename = ""
        message.media_file = ""
        message.extra = {}
    InboundMessage.objects.bulk_update(
        inbound,
        [
            "provider_id",
            "sender",
            "sender_user_id",
            "profile_name",
            "text",
            "media_id",
            "media_mime_type",
            "media_filename",
            "media_file",
            "extra",
        ],
    )

    outbound_scrubbed = []
    for sent in OutboundMessage.objects.select_for_update().filter(rows, to=number):
        if sent.media_file:
            files.append(sent.media_file.name)
        if sent.state == OutboundState.QUEUED and sent.pk not in keep:
            # Nothing more goes to an erased number, a broadcast included.
            outbound_messages_cancel(message_ids=[sent.pk])
            sent.save(update_fields=_scrubbed_outbound(sent))
        elif sent.state in PENDING_OUTBOUND:
            # It still has to reach the number (the unsubscribe confirmation) or is in flight.
            OutboundScrub.objects.get_or_create(outbound_message=sent)
        else:
            _scrubbed_outbound(sent)
            outbound_scrubbed.append(sent)
    OutboundMessage.objects.bulk_update(
        outbound_scrubbed,
        ["to", "text", "template_parameters", "media_url", "media_file", "error_message"],
    )

    _erase_webhook_bodies(number=number, since=since, event_ids=event_ids, rows=rows)
    if files:
        transaction.on_commit(lambda: _delete_files(files))


def _erase_webhook_bodies(
    *, number: str, since: dt.datetime | None, event_ids: Iterable[int] = (), rows: Q
) -> None:
    """Status callbacks name the number too, without a message of ours pointing at them: look at
    every body of the citizen's comune (`rows`: the comune the worker recorded on each event)
    received since `since`, and the events that carried the citizen's messages. The same phone
    writing to another comune's number is another citizen: those bodies stay. Digits only: Meta
    writes "39333...", Twilio "whatsapp:+39333..." or "%2B39333..."."""
    known = set(event_ids)
    digits = number.lstrip("+").encode()
    candidates = WebhookEvent.objects.select_for_update().only("pk", "body", "error")
    # An empty Q (one comune: every body) ORed with another Q would become that other alone.
    if rows:
        candidates = candidates.filter(rows | Q(pk__in=known))
    if since is not None:
        candidates = candidates.filter(received_at__gte=since - dt.timedelta(days=1))
    for event in candidates.iterator(chunk_size=500):
        if event.pk in known or digits in bytes(event.body):
            event.body = b""
            event.error = ""
            event.save(update_fields=["body", "error"])


def _erase_admin_log(*, subscriber: Subscriber) -> None:
    """Django's admin log names the object it changed (a rectification, art. 16) by its text,
    which for a citizen is their name."""
    LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Subscriber), object_id=str(subscriber.pk)
    ).update(object_repr=str(_("cittadino anonimizzato")))


def _delete_files(names: list[str]) -> None:
    """After commit: a rolled-back erasure must not have lost the files already."""
    storage = InboundMessage._meta.get_field("media_file").storage
    for name in names:
        storage.delete(name)


def subscriber_erase(*, subscriber: Subscriber, **kwargs) -> ErasureResult:
    """Destroy or anonymise the citizen's personal data (below), in the scope of the citizen's
    own comune: every app's part reads and touches that comune's rows only, whoever asked (a
    console request already runs there; a command or the retention task may not)."""
    with comune_scope(municipality_scope_of_row(comune_id=_comune_id_of(subscriber))):
        return _subscriber_erase_in_scope(subscriber=subscriber, **kwargs)


def _comune_id_of(subscriber: Subscriber) -> int | None:
    return Subscriber.all_comuni.values_list("comune_id", flat=True).get(pk=subscriber.pk)


@transaction.atomic
def _subscriber_erase_in_scope(
    *,
    subscriber: Subscriber,
    reason: str,
    channel: str,
    actor: str,
    user: "User | None" = None,
    message: InboundMessage | None = None,
    keep_outbound_ids: Sequence[int] = (),
    audit_postponement: bool = True,
    now: dt.datetime | None = None,
) -> ErasureResult:
    """Destroy or anonymise the citizen's personal data in every app, or, if an app still needs
    it (`erasure_blockers`), change nothing and return its reasons. Erasing twice is a no-op."""
    now = now or timezone.now()
    subscriber = Subscriber.objects.select_for_update().get(pk=subscriber.pk)
    if subscriber.status == SubscriberStatus.ANONYMISED:
        return ErasureResult(subscriber=subscriber, erased=False)
    reasons = subscriber_erasure_blockers(subscriber=subscriber)
    if reasons:
        if audit_postponement:
            data_subject_request_create(
                subscriber=subscriber,
                kind=DataSubjectRequestKind.ERASURE,
                outcome=DataSubjectRequestOutcome.POSTPONED,
                reason=reason,
                channel=channel,
                actor=actor,
                user=user,
                details={"reasons": reasons},
                at=now,
            )
        logger.info("Erasure of subscriber %s postponed: %s", subscriber.pk, "; ".join(reasons))
        return ErasureResult(subscriber=subscriber, erased=False, reasons=reasons)

    erase_personal_data.send(sender=Subscriber, subscriber=subscriber)
    assert subscriber.number is not None
    _erase_admin_log(subscriber=subscriber)
    # The citizen's messages are filed under their number, or under their WhatsApp user id
    # when they wrote before sharing a number (username-only citizens): both go.
    rows = subscriber_gateway_rows(subscriber)
    for identifier in dict.fromkeys(filter(None, [subscriber.number, subscriber.wa_user_id])):
        _erase_gateway_data(
            rows=rows,
            number=identifier,
            since=subscriber.first_contact_at,
            keep_outbound_ids=keep_outbound_ids,
        )
    subscriber.number = None
    subscriber.wa_user_id = ""
    subscriber.wa_username = ""
    subscriber.profile_name = ""
    subscriber.first_name = ""
    subscriber.last_name = ""
    subscriber.birth_date = None
    subscriber.identity_held_message = None
    subscriber.anonymised_at = now
    subscriber_status_change(
        subscriber=subscriber,
        status=SubscriberStatus.ANONYMISED,
        actor=user or actor,
        reason=reason,
        fields=[
            "number",
            "wa_user_id",
            "wa_username",
            "profile_name",
            "first_name",
            "last_name",
            "birth_date",
            "identity_held_message",
            "anonymised_at",
        ],
    )
    consent_record_create(
        subscriber=subscriber,
        kind=ConsentKind.ERASURE,
        channel=channel,
        at=now,
        message=message,
        actor=actor or (user.get_username() if user else ""),
    )
    data_subject_request_create(
        subscriber=subscriber,
        kind=DataSubjectRequestKind.ERASURE,
        outcome=DataSubjectRequestOutcome.DONE,
        reason=reason,
        channel=channel,
        actor=actor,
        user=user,
        at=now,
    )
    audit_record(
        actor=user or actor or None,
        action=AuditAction.SUBSCRIBER_ERASED,
        target=subscriber,
        channel=AuditChannel.COMMAND if channel == ConsentChannel.COMMAND else None,
    )
    if keep_outbound_ids:
        transaction.on_commit(_enqueue_outbound_scrub)
    return ErasureResult(subscriber=subscriber, erased=True)


def _enqueue_outbound_scrub() -> None:
    from ..tasks import outbound_scrub_sent_task

    # Soon after the confirmation has gone; the periodic run catches anything slower.
    outbound_scrub_sent_task.apply_async(countdown=60)


def outbound_scrub_sent(*, now: dt.datetime | None = None) -> int:
    """Wipe the recipient and text of outbox rows kept for an erased number once they are sent
    (or failed, or waited too long). Returns how many were scrubbed."""
    now = now or timezone.now()
    done = 0
    for scrub_id in OutboundScrub.objects.values_list("pk", flat=True):
        with transaction.atomic():
            scrub = (
                OutboundScrub.objects.select_for_update()
                .select_related("outbound_message")
                .filter(pk=scrub_id)
                .first()
            )
            if scrub is None:
                continue
            message = scrub.outbound_message
            overdue = scrub.created_at < now - OUTBOUND_SCRUB_GRACE
            if message.state in PENDING_OUTBOUND and not overdue:
                continue
            if message.to:
                # The provider's callbacks for this message (sent, delivered) arrived since the
                # erasure and name the number; later ones find no recipient on the row and the
                # gateway keeps no body for them.
                # Those of the message's comune only: the same phone elsewhere is another
                # citizen.
                _erase_webhook_bodies(
                    number=message.to,
                    since=scrub.created_at,
                    rows=gateway_rows_of_comune(comune_id=message.comune_id),
                )
            if message.state == OutboundState.QUEUED:
                outbound_messages_cancel(message_ids=[message.pk])
            message.save(update_fields=_scrubbed_outbound(message))
            scrub.delete()
            done += 1
    return done


def subscribers_erase_expired(*, municipality: Municipality, now: dt.datetime | None = None) -> int:
    """Apply the comune's retention period to those who left the list; returns how many were
    erased. Each citizen in a transaction of its own: one blocked erasure stops no other."""
    from ..selectors import subscriber_ids_due_for_erasure

    now = now or timezone.now()
    erased = 0
    for subscriber_id in subscriber_ids_due_for_erasure(municipality=municipality, now=now):
        result = subscriber_erase(
            subscriber=Subscriber(pk=subscriber_id),
            reason=_(
                "Termine di conservazione dopo la cancellazione dalla lista (%(days)d giorni)."
            )
            % {"days": municipality.unsubscribed_data_retention_days},
            channel=ConsentChannel.RETENTION,
            actor="",
            audit_postponement=False,
            now=now,
        )
        erased += result.erased
    return erased
