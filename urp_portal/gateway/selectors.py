import datetime as dt

from .models import InboundMessage


def inbound_last_sent_at(*, sender: str) -> dt.datetime | None:
    """When this number (or user id) last wrote to us; the 24-hour window counts from here."""
    return (
        InboundMessage.objects.filter(sender=sender)
        .order_by("-sent_at")
        .values_list("sent_at", flat=True)
        .first()
    )
