"""Joining and leaving the broadcast list, and the first touch of every message's sender."""

import datetime as dt
import hashlib

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from urp_portal.gateway.models import InboundMessage
from urp_portal.gateway.pipeline import PipelineContext
from urp_portal.gateway.services import outbound_message_create
from urp_portal.municipality.models import Municipality
from urp_portal.municipality.selectors import render_text

from ..models import ConsentRecord, PrivacyNotice, Subscriber
from ..pseudonyms import number_pseudonym
from ..states import SUBSCRIBER_TRANSITIONS, ConsentChannel, ConsentKind, SubscriberStatus
from .status import subscriber_status_change
from .whatsapp_identity import subscriber_touch_identity

# The outbox's `purpose` of the messages this app sends.
PURPOSE_WELCOME = "welcome"
PURPOSE_PRIVACY_NOTICE = "privacy_notice"
PURPOSE_ALREADY_SUBSCRIBED = "already_subscribed"
PURPOSE_UNSUBSCRIBED = "unsubscribed"
PURPOSE_NOT_SUBSCRIBED = "not_subscribed"


def subscriber_touch_from_inbound(*, message: InboundMessage) -> Subscriber:
    """The sender of a message, created on first contact (linked to the anonymised history of
    the same number, if any), found by number or WhatsApp user id (whatsapp_identity), locked
    and with its last-message time updated. Call inside the pipeline's transaction."""
    subscriber, created = subscriber_touch_identity(message=message)
    if not created:
        changed = []
        if message.profile_name and message.profile_name != subscriber.profile_name:
            subscriber.profile_name = message.profile_name
            changed.append("profile_name")
        if subscriber.last_inbound_at is None or message.sent_at > subscriber.last_inbound_at:
            subscriber.last_inbound_at = message.sent_at
            changed.append("last_inbound_at")
        if not subscriber.pseudonym:
            subscriber.pseudonym = number_pseudonym(subscriber.number or "")
            changed.append("pseudonym")
        if changed:
            subscriber.save(update_fields=[*changed, "updated_at"])
    return subscriber


def subscriber_for_context(*, message: InboundMessage, context: PipelineContext) -> Subscriber:
    """The sender of the message the pipeline is running for, touched once per message however
    many steps ask (moderation's drop_if_blocked, then keywords, identity, tickets...)."""
    subscriber = context.found.get("subscriber")
    if subscriber is None:
        subscriber = subscriber_touch_from_inbound(message=message)
        context.found["subscriber"] = subscriber
    return subscriber


def _locked(subscriber: Subscriber) -> Subscriber:
    return Subscriber.objects.select_for_update().get(pk=subscriber.pk)


def _may_become(subscriber: Subscriber, status: str) -> bool:
    return status in SUBSCRIBER_TRANSITIONS[subscriber.status]


def privacy_notice_in_force(
    *, municipality: Municipality, now: dt.datetime | None = None
) -> PrivacyNotice | None:
    """The version of the privacy notice in force: the comune's configuration, snapshotted into a
    new PrivacyNotice row whenever its text or version changed since the last one."""
    text = municipality.privacy_notice_text.strip()
    if not text:
        return None
    digest = hashlib.sha256(text.encode()).hexdigest()

    def latest() -> PrivacyNotice | None:
        return (
            PrivacyNotice.objects.filter(municipality=municipality)
            .order_by("-in_force_from", "-pk")
            .first()
        )

    notice = latest()
    if (
        notice
        and notice.version == municipality.privacy_notice_version
        and notice.text_sha256 == digest
    ):
        return notice
    with transaction.atomic():
        # Two first subscriptions after an edit must not snapshot the same text twice.
        Municipality.objects.select_for_update().filter(pk=municipality.pk).first()
        notice = latest()
        if (
            notice
            and notice.version == municipality.privacy_notice_version
            and notice.text_sha256 == digest
        ):
            return notice
        return PrivacyNotice.objects.create(
            municipality=municipality,
            version=municipality.privacy_notice_version,
            text=text,
            text_sha256=digest,
            in_force_from=now or timezone.now(),
        )


def consent_record_create(
    *,
    subscriber: Subscriber,
    kind: str,
    channel: str,
    at: dt.datetime,
    notice: PrivacyNotice | None = None,
    message: InboundMessage | None = None,
    actor: str = "",
) -> ConsentRecord:
    return ConsentRecord.objects.create(
        subscriber=subscriber,
        pseudonym=subscriber.pseudonym or number_pseudonym(subscriber.number or ""),
        kind=kind,
        notice=notice,
        notice_version=notice.version if notice else "",
        at=at,
        channel=channel,
        inbound_message_id=message.pk if message else None,
        inbound_text=message.text if message else "",
        actor=actor,
    )


@transaction.atomic
def subscriber_subscribe(
    *,
    subscriber: Subscriber,
    municipality: Municipality,
    message: InboundMessage | None = None,
    channel: str = ConsentChannel.WHATSAPP,
    now: dt.datetime | None = None,
) -> Subscriber:
    """Put the citizen on the broadcast list: the welcome and the privacy notice in force, in
    this order, and the ledger's acknowledgement and opt-in. Subscribing twice only says so."""
    now = now or timezone.now()
    subscriber = _locked(subscriber)
    assert subscriber.number is not None
    if subscriber.status == SubscriberStatus.SUBSCRIBED:
        outbound_message_create(
            to=subscriber.number,
            purpose=PURPOSE_ALREADY_SUBSCRIBED,
            text=municipality.already_subscribed_text
            or _("Risulta già iscritto alla lista broadcast: non deve fare altro. Grazie!"),
        )
        return subscriber
    if not _may_become(subscriber, SubscriberStatus.SUBSCRIBED):
        # Blocked by a moderator: no reply (moderation drops these messages before us anyway).
        return subscriber
    subscriber.subscribed_at = now
    subscriber.unsubscribed_at = None
    subscriber_status_change(
        subscriber=subscriber,
        status=SubscriberStatus.SUBSCRIBED,
        actor=None,
        reason=ConsentKind.BROADCAST_OPT_IN,
        fields=["subscribed_at", "unsubscribed_at"],
    )

    notice = privacy_notice_in_force(municipality=municipality, now=now)
    if notice is not None:
        consent_record_create(
            subscriber=subscriber,
            kind=ConsentKind.NOTICE_ACKNOWLEDGED,
            channel=channel,
            at=now,
            notice=notice,
            message=message,
        )
    consent_record_create(
        subscriber=subscriber,
        kind=ConsentKind.BROADCAST_OPT_IN,
        channel=channel,
        at=now,
        notice=notice,
        message=message,
    )
    welcome = render_text(municipality.welcome_text, comune=municipality.name)
    if welcome or notice is None:
        outbound_message_create(
            to=subscriber.number,
            purpose=PURPOSE_WELCOME,
            text=welcome or _("La sua iscrizione alla lista broadcast è confermata."),
        )
    if notice is not None:
        outbound_message_create(
            to=subscriber.number, purpose=PURPOSE_PRIVACY_NOTICE, text=notice.text
        )
    return subscriber


@transaction.atomic
def subscriber_unsubscribe(
    *,
    subscriber: Subscriber,
    municipality: Municipality,
    message: InboundMessage | None = None,
    channel: str = ConsentChannel.WHATSAPP,
    now: dt.datetime | None = None,
) -> Subscriber:
    """Take the citizen off the broadcast list from this moment (the status is what every
    broadcast send checks), confirm it, and erase their data at once if the comune keeps none."""
    from .erasure import subscriber_erase

    now = now or timezone.now()
    subscriber = _locked(subscriber)
    assert subscriber.number is not None
    if subscriber.status != SubscriberStatus.SUBSCRIBED:
        outbound_message_create(
            to=subscriber.number,
            purpose=PURPOSE_NOT_SUBSCRIBED,
            text=municipality.not_subscribed_text
            or _("Non risulta iscritto alla lista broadcast: non riceverà i nostri messaggi."),
        )
        return subscriber
    subscriber.unsubscribed_at = now
    # The door also tells broadcasts (subscriber_unsubscribed) to stop what is still queued.
    subscriber_status_change(
        subscriber=subscriber,
        status=SubscriberStatus.UNSUBSCRIBED,
        actor=None,
        reason=ConsentKind.BROADCAST_OPT_OUT,
        fields=["unsubscribed_at"],
    )
    consent_record_create(
        subscriber=subscriber,
        kind=ConsentKind.BROADCAST_OPT_OUT,
        channel=channel,
        at=now,
        message=message,
    )
    confirmation = outbound_message_create(
        to=subscriber.number,
        purpose=PURPOSE_UNSUBSCRIBED,
        text=municipality.unsubscribed_text
        or _("La sua cancellazione dalla lista broadcast è confermata."),
    )
    if municipality.unsubscribed_data_retention_days == 0:
        # The confirmation must still reach the number: its outbox row keeps the recipient until
        # it is sent, then it is scrubbed (OutboundScrub). Everything else goes now.
        # If another app still needs the data, the retention task tries again later.
        result = subscriber_erase(
            subscriber=subscriber,
            reason=_("Cancellazione dalla lista: il comune non conserva i dati."),
            channel=ConsentChannel.RETENTION,
            actor="",
            message=message,
            keep_outbound_ids=[confirmation.pk],
            audit_postponement=False,
            now=now,
        )
        subscriber = result.subscriber
    return subscriber
