from django.utils import timezone

from urp_portal.gateway.models import InboundMessage

from .models import Subscriber


def subscriber_touch_from_inbound(*, message: InboundMessage) -> Subscriber:
    """The sender of a message, created on first contact, with its last-message time updated.
    Call inside the pipeline's transaction."""
    now = timezone.now()
    subscriber, created = Subscriber.objects.select_for_update().get_or_create(
        number=message.sender,
        defaults={
            "wa_user_id": message.sender_user_id,
            "profile_name": message.profile_name,
            "first_contact_at": message.sent_at or now,
            "last_inbound_at": message.sent_at or now,
        },
    )
    if not created:
        changed = []
        if message.profile_name and message.profile_name != subscriber.profile_name:
            subscriber.profile_name = message.profile_name
            changed.append("profile_name")
        if subscriber.last_inbound_at is None or message.sent_at > subscriber.last_inbound_at:
            subscriber.last_inbound_at = message.sent_at
            changed.append("last_inbound_at")
        if changed:
            subscriber.save(update_fields=[*changed, "updated_at"])
    return subscriber
