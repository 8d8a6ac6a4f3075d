"""The privacy notice at first contact (GDPR art. 13): everyone who writes gets it, not only
those who subscribe, as the comune's configuration says (before anything else, or together with
the URP's first answer). The version sent is recorded in the consent ledger; a citizen who
already has a notice recorded (a subscriber's welcome, an earlier first contact) does not get it
again until the comune publishes a new version."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from urp_portal.gateway.services import outbound_message_create
from urp_portal.municipality.models import Municipality
from urp_portal.municipality.selectors import render_text
from urp_portal.municipality.states import FirstContactNotice

from ..models import ConsentRecord, Subscriber
from ..states import ConsentChannel, ConsentKind
from .subscription import consent_record_create, privacy_notice_in_force

PURPOSE_FIRST_CONTACT_NOTICE = "first_contact_notice"


def first_contact_notice_text(*, municipality: Municipality, full_text: str) -> str:
    """The short text with the link when the comune has a page for its notice; otherwise the
    full notice itself (a link to nowhere would inform nobody)."""
    if municipality.privacy_notice_url and municipality.first_contact_notice_text:
        return render_text(
            municipality.first_contact_notice_text,
            link=municipality.privacy_notice_url,
            comune=municipality.name,
        )
    return full_text


def subscriber_inform_at_first_contact(
    *,
    subscriber: Subscriber,
    municipality: Municipality,
    when: str,
    now: dt.datetime | None = None,
) -> bool:
    """Send the notice in force if the comune sends it at `when` (a FirstContactNotice value)
    and this citizen has not had this version yet; record it in the ledger. Call inside the
    caller's transaction, before the message it must precede. True when sent."""
    if municipality.first_contact_notice != when or not subscriber.number:
        return False
    now = now or timezone.now()
    notice = privacy_notice_in_force(municipality=municipality, now=now)
    if notice is None:
        return False
    already = ConsentRecord.objects.filter(
        subscriber=subscriber,
        kind__in=[ConsentKind.NOTICE_SENT, ConsentKind.NOTICE_ACKNOWLEDGED],
        notice_version=notice.version,
    ).exists()
    if already:
        return False
    outbound_message_create(
        to=subscriber.number,
        purpose=PURPOSE_FIRST_CONTACT_NOTICE,
        text=first_contact_notice_text(municipality=municipality, full_text=notice.text),
    )
    # Not the message itself: unlike a keyword, a first message is the citizen's free words,
    # and the ledger outlives an erasure.
    consent_record_create(
        subscriber=subscriber,
        kind=ConsentKind.NOTICE_SENT,
        channel=ConsentChannel.WHATSAPP,
        at=now,
        notice=notice,
    )
    return True


def subscriber_inform_with_first_reply(
    *, subscriber: Subscriber, municipality: Municipality, now: dt.datetime | None = None
) -> bool:
    """For the comunes that send the notice with their first answer: call just before an answer
    is put in the outbox."""
    return subscriber_inform_at_first_contact(
        subscriber=subscriber,
        municipality=municipality,
        when=FirstContactNotice.WITH_FIRST_REPLY,
        now=now,
    )
