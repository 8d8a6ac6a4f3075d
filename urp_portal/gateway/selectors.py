import datetime as dt

from django.db.models import Q

from .models import InboundMessage


def inbound_last_sent_at(*, sender: str, comune_id: int | None = None) -> dt.datetime | None:
    """When this number (or user id) last wrote to us; the 24-hour window counts from here.
    With `comune_id`, to that comune's number only: WhatsApp keeps a window per business
    number, so a citizen writing to one comune opens nothing for another (rows with no comune
    are from before the tenancy and count for every comune: they are the active one's)."""
    queryset = InboundMessage.objects.filter(sender=sender)
    if comune_id is not None:
        queryset = queryset.filter(Q(comune_id=comune_id) | Q(comune__isnull=True))
    return queryset.order_by("-sent_at").values_list("sent_at", flat=True).first()
