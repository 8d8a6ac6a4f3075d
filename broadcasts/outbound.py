"""This app's last-moment check on the gateway's sends (settings.URP_OUTBOUND_SEND_CHECKS;
urp_portal/gateway/services/send_checks.py says why it runs right before the provider call)."""

from django.db.models import Q
from django.utils.translation import gettext as _

from subscribers.states import SubscriberStatus
from urp_portal.gateway.models import OutboundMessage

from .models import Delivery
from .services.fanout import PURPOSE


def recipient_still_listed(message: OutboundMessage) -> str:
    """A broadcast goes only to a citizen still on the list now: "Cancellami" (or a block, or
    an erasure) between the claim and the call stops it."""
    if message.purpose != PURPOSE:
        return ""
    # Erasure keeps the subscriber's row (anonymised, no number), so its delivery is still here.
    left = (
        Delivery.objects.filter(message_id=message.pk)
        .filter(~Q(subscriber__status=SubscriberStatus.SUBSCRIBED) | Q(subscriber__number=None))
        .exists()
    )
    if not left:
        return ""
    return _("Non inviato: il cittadino ha lasciato la lista prima dell'invio.")
