from django.db.models import QuerySet

from .demo import DEMO_CITIZENS, DemoCitizen
from .models import SimulatedMedia, SimulatedMessage
from .states import Direction


def simulated_conversation(*, number: str, limit: int = 200) -> list[SimulatedMessage]:
    """The last `limit` messages of one chat, oldest first."""
    latest = (
        SimulatedMessage.objects.filter(number=number)
        .select_related("media")
        .order_by("-created_at", "-id")[:limit]
    )
    return list(reversed(latest))


def simulated_citizens(*, limit: int = 20) -> list[DemoCitizen]:
    """The demo's citizens, then the other numbers that wrote recently, each once."""
    citizens = list(DEMO_CITIZENS)
    known = {citizen.number for citizen in citizens}
    recent = (
        SimulatedMessage.objects.filter(direction=Direction.IN)
        .order_by("-created_at", "-id")
        .values_list("number", "profile_name")[: limit * 10]
    )
    for number, name in recent:
        if number not in known and len(citizens) < len(DEMO_CITIZENS) + limit:
            citizens.append(DemoCitizen(number, name))
            known.add(number)
    return citizens


def simulated_media_get(*, media_id: str) -> SimulatedMedia | None:
    return SimulatedMedia.objects.filter(media_id=media_id).first()


def simulated_messages_sent(*, number: str = "") -> QuerySet[SimulatedMessage]:
    """What the product sent through the fake Graph API (tests and the admin read it)."""
    sent = SimulatedMessage.objects.filter(direction=Direction.OUT)
    return sent.filter(number=number) if number else sent
