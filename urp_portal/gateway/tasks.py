from celery import shared_task
from django.db import transaction
from django.utils import timezone

from .adapters import get_adapter
from .models import OutboundMessage
from .states import OutboundState


@shared_task
def outbound_message_send(message_id: int) -> None:
    with transaction.atomic():
        message = OutboundMessage.objects.select_for_update().get(pk=message_id)
        if message.state != OutboundState.QUEUED:
            return
        result = get_adapter().send(message)
        message.provider_id = result.provider_id
        message.state = OutboundState.SENT
        message.sent_at = timezone.now()
        message.attempts += 1
        message.save(update_fields=["provider_id", "state", "sent_at", "attempts"])


@shared_task
def inbound_message_process(message_id: int) -> None:
    from .pipeline import inbound_message_run_pipeline

    inbound_message_run_pipeline(message_id=message_id)


from .media_tasks import inbound_media_fetch  # noqa: E402, F401  (registers the media task)
