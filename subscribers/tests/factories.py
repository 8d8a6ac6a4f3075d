import datetime as dt

import factory
from django.utils import timezone

from urp_portal.gateway.models import InboundMessage, OutboundMessage, WebhookEvent
from urp_portal.gateway.states import MessageKind

from ..models import Subscriber
from ..pseudonyms import number_pseudonym
from ..states import SubscriberStatus


class SubscriberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Subscriber

    number = factory.Sequence(lambda n: f"+39347{n:07d}")
    pseudonym = factory.LazyAttribute(lambda s: number_pseudonym(s.number))
    profile_name = factory.Faker("first_name", locale="it_IT")
    first_contact_at = factory.LazyFunction(timezone.now)
    last_inbound_at = factory.LazyFunction(timezone.now)

    class Params:
        subscribed = factory.Trait(
            status=SubscriberStatus.SUBSCRIBED,
            subscribed_at=factory.LazyFunction(timezone.now),
        )


class InboundMessageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = InboundMessage

    provider_id = factory.Sequence(lambda n: f"wamid.test{n:08d}")
    sender = "+393471234567"
    profile_name = "Cittadino"
    sent_at = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(seconds=1))
    kind = MessageKind.TEXT
    text = "Buongiorno"


class OutboundMessageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OutboundMessage

    to = "+393471234567"
    purpose = "reply"
    text = "Risposta"


class WebhookEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WebhookEvent

    gateway = "meta"
    body = b"{}"
    body_sha256 = factory.Sequence(lambda n: f"{n:064d}")
