"""The API's part in a citizen's erasure (GDPR art. 17): an answer kept for an Idempotency-Key
retry (a ticket's detail after a reply, with the citizen's number, name and words) is personal
data for as long as it is kept (idempotency.KEY_LIFETIME)."""

from __future__ import annotations

from typing import Any

from .models import IdempotencyRecord


def idempotent_answers_erase(sender: Any, subscriber: Any, **kwargs: Any) -> None:
    """Forget the stored answers that name the citizen's number (every answer about a ticket
    does). A retry with such a key still does nothing again; it gets the status without the
    body."""
    if not subscriber.number:
        return
    IdempotencyRecord.objects.filter(response_body__icontains=subscriber.number.lstrip("+")).update(
        response_body=None
    )


def connect() -> None:
    # The API's resources already stand on every app (urls.py); this hook is subscribers'.
    from subscribers.signals import erase_personal_data

    erase_personal_data.connect(idempotent_answers_erase, dispatch_uid="api.erase_answers")
