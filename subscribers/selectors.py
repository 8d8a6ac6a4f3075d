import datetime as dt

from django.db.models import Count, Q
from django.utils import timezone

from urp_portal.gateway.models import InboundMessage, OutboundMessage
from urp_portal.municipality.models import Municipality
from urp_portal.municipality.scope import owned_by, serves_other_comuni

from .errors import SubscriberNotFound
from .models import Subscriber
from .signals import collect_personal_data
from .states import SubscriberStatus


def subscriber_get_by_number(*, number: str) -> Subscriber:
    subscriber = Subscriber.objects.filter(number=number.strip()).first()
    if subscriber is None:
        raise SubscriberNotFound()
    return subscriber


def subscriber_ids_due_for_erasure(*, municipality: Municipality, now: dt.datetime) -> list[int]:
    cutoff = now - dt.timedelta(days=municipality.unsubscribed_data_retention_days)
    return list(
        Subscriber.objects.filter(
            status=SubscriberStatus.UNSUBSCRIBED, unsubscribed_at__lte=cutoff
        ).values_list("pk", flat=True)
    )


def subscriber_counts(*, now: dt.datetime | None = None) -> dict[str, int]:
    """For the top of the admin list: on the list now, joined and left this week (since Monday,
    Rome time). One query."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    monday = today - dt.timedelta(days=today.weekday())
    week_start = timezone.make_aware(dt.datetime.combine(monday, dt.time.min))
    return Subscriber.objects.aggregate(
        subscribed=Count("pk", filter=Q(status=SubscriberStatus.SUBSCRIBED)),
        joined_this_week=Count("pk", filter=Q(subscribed_at__gte=week_start)),
        left_this_week=Count("pk", filter=Q(unsubscribed_at__gte=week_start)),
    )


def _when(value: dt.datetime | dt.date | None) -> str | None:
    return value.isoformat() if value else None


def subscriber_personal_data(*, subscriber: Subscriber) -> dict:
    """Everything held about the citizen (GDPR art. 15), JSON-serialisable, with the sections
    the other apps add through `collect_personal_data`."""
    data: dict = {
        "generated_at": timezone.now().isoformat(),
        "subscriber": {
            "number": subscriber.number,
            "whatsapp_user_id": subscriber.wa_user_id,
            "whatsapp_username": subscriber.wa_username,
            "marketing_stopped_at": _when(subscriber.marketing_stopped_at),
            "profile_name": subscriber.profile_name,
            "first_name": subscriber.first_name,
            "last_name": subscriber.last_name,
            "birth_date": _when(subscriber.birth_date),
            "status": subscriber.get_status_display(),
            "first_contact_at": _when(subscriber.first_contact_at),
            "last_inbound_at": _when(subscriber.last_inbound_at),
            "subscribed_at": _when(subscriber.subscribed_at),
            "unsubscribed_at": _when(subscriber.unsubscribed_at),
            "anonymised_at": _when(subscriber.anonymised_at),
        },
        "consent": [
            {
                "event": record.get_kind_display(),
                "at": _when(record.at),
                "channel": record.get_channel_display(),
                "privacy_notice_version": record.notice_version,
                "message_text": record.inbound_text,
            }
            for record in subscriber.consent_records.order_by("at", "pk")
        ],
        "received_messages": [],
        "sent_messages": [],
    }
    if subscriber.number:
        data["received_messages"] = [
            {
                "at": _when(message.sent_at),
                "kind": message.get_kind_display(),
                "text": message.text,
                "attachment": message.media_filename or message.media_file.name or "",
            }
            for message in InboundMessage.objects.filter(
                subscriber_gateway_rows(subscriber), sender=subscriber.number
            ).order_by("sent_at", "pk")
        ]
        data["sent_messages"] = [
            {
                "at": _when(message.created_at),
                "text": message.text,
                "template": message.template_name,
                "parameters": message.template_parameters,
                "state": message.get_state_display(),
            }
            for message in OutboundMessage.objects.filter(
                subscriber_gateway_rows(subscriber), to=subscriber.number
            ).order_by("created_at", "pk")
        ]
    for _receiver, answer in collect_personal_data.send(sender=Subscriber, subscriber=subscriber):
        if answer:
            data[str(answer[0])] = answer[1]
    return data


def subscriber_gateway_rows(subscriber: Subscriber) -> Q:
    """The gateway's messages (received and sent) of the citizen's own comune: the same phone
    writing to two comuni of one deployment is two citizens, and the export or the erasure of
    one reads or touches nothing of the other's. Unscoped on a deployment of one comune."""
    return gateway_rows_of_comune(comune_id=subscriber.comune_id)


def gateway_rows_of_comune(*, comune_id: int | None) -> Q:
    """The gateway's rows (messages, raw webhook bodies) of the comune `comune_id` (None: the
    active comune's, as the row's owner with no comune is); unscoped on one comune."""
    if comune_id is not None:
        return owned_by(Municipality.objects.get(pk=comune_id))
    if not serves_other_comuni():
        return Q()
    active = Municipality.objects.filter(is_active=True).first()
    return owned_by(active) if active is not None else Q(comune__isnull=True)
