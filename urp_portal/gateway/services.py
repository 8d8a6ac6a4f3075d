from collections.abc import Sequence

from django.db import transaction

from .models import OutboundMessage


def outbound_message_create(
    *,
    to: str,
    purpose: str,
    text: str = "",
    template_name: str = "",
    template_language: str = "it",
    template_parameters: Sequence[str] = (),
    media_url: str = "",
    priority: int = 5,
) -> OutboundMessage:
    """Put a message in the outbox, in the caller's transaction; it is sent after commit."""
    message = OutboundMessage.objects.create(
        to=to,
        purpose=purpose,
        text=text,
        template_name=template_name,
        template_language=template_language,
        template_parameters=list(template_parameters),
        media_url=media_url,
        priority=priority,
    )
    transaction.on_commit(lambda: _enqueue_send(message.pk))
    return message


def _enqueue_send(message_id: int) -> None:
    from .tasks import outbound_message_send

    outbound_message_send.delay(message_id)
