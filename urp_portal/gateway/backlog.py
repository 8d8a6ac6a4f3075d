"""How far behind the workers are: queue depths and the age of the oldest waiting work, for
/readyz and the console's dashboard. Cheap enough for a probe every few seconds: one Redis
pipeline (or a look at the embedded broker's folder) and three reads on partial indexes."""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy
from redis.exceptions import RedisError

from . import event_queue
from .models import InboundMessage, WebhookEvent
from .states import InboundState

# kombu's Redis transport keeps a queue's prioritised messages in lists beside the queue's own.
_PRIORITY_SUFFIXES = ("", "\x06\x163", "\x06\x166", "\x06\x169")


# The workers' queues as staff read them (settings.CELERY_TASK_QUEUES), on the dashboard and on
# the provider's health page.
QUEUE_LABELS = {
    "citizens": gettext_lazy("cittadini"),
    "statuses": gettext_lazy("stati dei messaggi"),
    "broadcasts": gettext_lazy("liste di diffusione"),
    "housekeeping": gettext_lazy("manutenzione"),
}


def queue_label(name: str) -> str:
    return str(QUEUE_LABELS.get(name, name))


@dataclass(frozen=True)
class Backlog:
    # Tasks waiting per Celery queue (settings.CELERY_TASK_QUEUES), most urgent first; None
    # when the broker cannot be read.
    queues: dict[str, int] | None = None
    # Webhook events stored and waiting for their drain, per lane (event_queue; Redis only).
    webhook_lanes: dict[str, int] = field(default_factory=dict)
    # Seconds the oldest waiting item has waited (None: nothing waits).
    oldest_status_event: float | None = None
    oldest_webhook_event: float | None = None
    oldest_inbound_message: float | None = None

    def as_dict(self) -> dict:
        return {
            "queues": self.queues,
            "webhook_lanes": self.webhook_lanes,
            "oldest_waiting_seconds": {
                "status_event": self.oldest_status_event,
                "webhook_event": self.oldest_webhook_event,
                "inbound_message": self.oldest_inbound_message,
            },
        }


def queue_names() -> list[str]:
    return [queue.name for queue in settings.CELERY_TASK_QUEUES]


def _queue_depths() -> tuple[dict[str, int], dict[str, int]]:
    names = queue_names()
    if settings.REDIS_URL:
        client = event_queue.redis_client()
        pipe = client.pipeline(transaction=False)
        for name in names:
            for suffix in _PRIORITY_SUFFIXES:
                pipe.llen(name + suffix)
        for keys in event_queue.lane_keys():
            pipe.llen(keys[0])
        values = pipe.execute()
        per_queue = len(_PRIORITY_SUFFIXES)
        queues = {
            name: sum(values[i * per_queue : (i + 1) * per_queue]) for i, name in enumerate(names)
        }
        lanes = dict(zip(event_queue.lane_names(), values[len(names) * per_queue :], strict=True))
        return queues, lanes
    folder = Path(settings.CELERY_BROKER_TRANSPORT_OPTIONS["data_folder_in"])
    queues = dict.fromkeys(names, 0)
    with os.scandir(folder) as entries:
        for entry in entries:
            # kombu's file names: <time>_<uuid>.<queue>.msg
            parts = entry.name.rsplit(".", 2)
            if len(parts) == 3 and parts[2] == "msg" and parts[1] in queues:
                queues[parts[1]] += 1
    return queues, {}


def _age(at: dt.datetime | None, now: dt.datetime) -> float | None:
    return round((now - at).total_seconds(), 1) if at is not None else None


def gateway_backlog(*, now: dt.datetime | None = None) -> Backlog:
    """The backlog now. A broker that cannot be read leaves `queues` None (the readiness check
    reports the broker itself)."""
    now = now or timezone.now()
    try:
        queues, lanes = _queue_depths()
    except (OSError, RedisError):
        queues, lanes = None, {}
    oldest_status = None
    if settings.REDIS_URL and queues is not None:
        event_id = event_queue.oldest_waiting(event_queue.STATUS_LANE)
        if event_id is not None:
            oldest_status = (
                WebhookEvent.objects.filter(pk=event_id).values_list("received_at", flat=True)
            ).first()
    oldest_event = (
        WebhookEvent.objects.filter(state=WebhookEvent.State.RECEIVED)
        .order_by("received_at")
        .values_list("received_at", flat=True)
        .first()
    )
    oldest_inbound = (
        InboundMessage.objects.filter(state=InboundState.RECEIVED)
        .order_by("received_at")
        .values_list("received_at", flat=True)
        .first()
    )
    return Backlog(
        queues=queues,
        webhook_lanes=lanes,
        oldest_status_event=_age(oldest_status, now),
        oldest_webhook_event=_age(oldest_event, now),
        oldest_inbound_message=_age(oldest_inbound, now),
    )
