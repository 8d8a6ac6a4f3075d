"""Access (GDPR art. 15): everything held about a citizen, as JSON and as a readable page."""

from typing import TYPE_CHECKING

from django.db import transaction

from ..models import Subscriber
from ..selectors import subscriber_personal_data
from ..states import DataSubjectRequestKind, DataSubjectRequestOutcome
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
    return data
