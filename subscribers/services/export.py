"""Access (GDPR art. 15): everything held about a citizen, as JSON and as a readable page."""

from typing import TYPE_CHECKING

from django.db import transaction

from urp_portal.audit.services import audit_record
from urp_portal.audit.states import AuditAction, AuditChannel

from ..models import Subscriber
from ..selectors import subscriber_personal_data
from ..states import ConsentChannel, DataSubjectRequestKind, DataSubjectRequestOutcome
from .erasure import data_subject_request_create

if TYPE_CHECKING:
    from django.contrib.auth.models import User


@transaction.atomic
def subscriber_export(
    *,
    subscriber: Subscriber,
    reason: str,
    channel: str,
    actor: str = "",
    user: "User | None" = None,
) -> dict:
    """The citizen's data, with the export audited (who, when, why)."""
    data = subscriber_personal_data(subscriber=subscriber)
    data_subject_request_create(
        subscriber=subscriber,
        kind=DataSubjectRequestKind.EXPORT,
        outcome=DataSubjectRequestOutcome.DONE,
        reason=reason,
        channel=channel,
        actor=actor,
        user=user,
    )
    audit_record(
        actor=user or actor or None,
        action=AuditAction.SUBSCRIBER_EXPORTED,
        target=subscriber,
        channel=AuditChannel.COMMAND if channel == ConsentChannel.COMMAND else None,
        details={"reason": reason},
    )
    return data
