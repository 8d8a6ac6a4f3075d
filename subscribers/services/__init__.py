"""Every write of the subscribers app (STYLE.md), by topic."""

from .erasure import (
    ErasureResult,
    data_subject_request_create,
    outbound_scrub_sent,
    subscriber_erase,
    subscriber_erasure_blockers,
    subscribers_erase_expired,
)
from .export import subscriber_export
from .first_contact import IdentityAdvance, subscriber_identity_advance
from .privacy_notice import subscriber_inform_at_first_contact, subscriber_inform_with_first_reply
from .status import subscriber_status_change
from .subscription import (
    consent_record_create,
    privacy_notice_in_force,
    subscriber_for_context,
    subscriber_subscribe,
    subscriber_touch_from_inbound,
    subscriber_unsubscribe,
)
from .whatsapp_identity import (
    subscriber_find,
    subscriber_identity_change,
    subscriber_marketing_preference,
)

__all__ = [
    "ErasureResult",
    "IdentityAdvance",
    "consent_record_create",
    "data_subject_request_create",
    "outbound_scrub_sent",
    "privacy_notice_in_force",
    "subscriber_erase",
    "subscriber_erasure_blockers",
    "subscriber_export",
    "subscriber_find",
    "subscriber_for_context",
    "subscriber_identity_advance",
    "subscriber_identity_change",
    "subscriber_inform_at_first_contact",
    "subscriber_inform_with_first_reply",
    "subscriber_marketing_preference",
    "subscriber_status_change",
    "subscriber_subscribe",
    "subscriber_touch_from_inbound",
    "subscriber_unsubscribe",
    "subscribers_erase_expired",
]
