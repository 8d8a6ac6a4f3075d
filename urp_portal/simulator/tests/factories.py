import factory

from urp_portal.simulator.models import SimulatedMessage
from urp_portal.simulator.states import Direction


class SimulatedMessageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SimulatedMessage

    direction = Direction.IN
    number = "+393205550101"
    profile_name = "Maria Rossi"
    kind = "text"
    body = factory.Sequence(lambda n: f"Messaggio {n}")
    wamid = factory.Sequence(lambda n: f"wamid.TEST{n:06d}")
