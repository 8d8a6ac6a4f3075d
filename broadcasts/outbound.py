"""This app's last-moment check on the gateway's sends (settings.URP_OUTBOUND_SEND_CHECKS;
urp_portal/gateway/services/send_checks.py says why it runs right before the provider call)."""

from functools import cache

from django.db import connection
from django.db.models import Q
from django.utils.translation import gettext as _

from subscribers.models import Subscriber
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
    # By the message's id, whichever comune's (the send is the gateway's, across comuni).
    left = (
        Delivery.all_comuni.filter(message_id=message.pk)
        .filter(~Q(subscriber__status=SubscriberStatus.SUBSCRIBED) | Q(subscriber__number=None))
        .exists()
    )
    if not left:
        return ""
    return _("Non inviato: il cittadino ha lasciato la lista prima dell'invio.")


@cache
def _still_listed_sql() -> str:
    quote = connection.ops.quote_name
    delivery, subscriber = Delivery._meta, Subscriber._meta
    return (
        f"NOT EXISTS (SELECT 1 FROM {quote(delivery.db_table)} d "  # noqa: S608 (names from the models)
        f"JOIN {quote(subscriber.db_table)} s ON s.{quote(subscriber.pk.column)} = "
        f"d.{quote(delivery.get_field('subscriber').column)} "
        f"WHERE d.{quote(delivery.get_field('message').column)} = %s "
        f"AND (s.{quote(subscriber.get_field('status').column)} <> %s "
        f"OR s.{quote(subscriber.get_field('number').column)} IS NULL))"
    )


def _still_listed_condition(message: OutboundMessage) -> tuple[str, list[object]]:
    """recipient_still_listed as the claim's SQL condition (send_checks.py): the same test."""
    if message.purpose != PURPOSE:
        return "", []
    return _still_listed_sql(), [message.pk, SubscriberStatus.SUBSCRIBED]


recipient_still_listed.claim_condition = _still_listed_condition  # type: ignore[attr-defined]
