from dataclasses import dataclass

from django.conf import settings
from django.db.models import QuerySet

from .demo import DEMO_CITIZENS, DemoCitizen
from .models import SimulatedMedia, SimulatedMessage
from .states import Direction


def simulated_conversation(
    *, number: str, business_number: str = "", limit: int = 200
) -> list[SimulatedMessage]:
    """The last `limit` messages of one chat (a citizen with one business number), oldest
    first."""
    latest = (
        SimulatedMessage.objects.filter(number=number, business_number=business_number)
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


@dataclass(frozen=True)
class BusinessNumber:
    # "" for the deployment's own number; else the bound number's phone number id.
    key: str
    comune_name: str


def simulated_business_numbers() -> list[BusinessNumber]:
    """The numbers a citizen can write to: the deployment's own (the active comune's), then
    each number bound to a comune, by comune name."""
    from urp_portal.municipality.models import Municipality, WhatsAppNumber

    active = Municipality.objects.filter(is_active=True).values_list("name", flat=True).first()
    names = {"": active or "URP"}
    for phone_number_id, name in WhatsAppNumber.objects.order_by("comune__name").values_list(
        "phone_number_id", "comune__name"
    ):
        names[business_number_key(phone_number_id)] = name
    return [BusinessNumber(key, name) for key, name in names.items()]


def own_phone_number_id() -> str:
    # The same default as the gateway's simulator adapter, so both speak of the same number.
    return str(settings.WHATSAPP_PHONE_NUMBER_ID or "simulator")


def business_number_key(phone_number_id: str) -> str:
    """How a chat stores its business number: empty for the deployment's own."""
    return "" if phone_number_id == own_phone_number_id() else phone_number_id


def business_phone_number_id(key: str) -> str:
    return key or own_phone_number_id()


def simulated_media_get(*, media_id: str) -> SimulatedMedia | None:
    return SimulatedMedia.objects.filter(media_id=media_id).first()


def simulated_messages_sent(*, number: str = "") -> QuerySet[SimulatedMessage]:
    """What the product sent through the fake Graph API (tests and the admin read it)."""
    sent = SimulatedMessage.objects.filter(direction=Direction.OUT)
    return sent.filter(number=number) if number else sent
