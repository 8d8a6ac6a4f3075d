import datetime as dt

import factory
from django.utils import timezone

from subscribers.tests.factories import SubscriberFactory
from tickets.models import CannedAnswer, Message, MunicipalService, Ticket
from tickets.states import MessageOrigin, TicketState
from urp_portal.accounts.roles import Role
from urp_portal.accounts.tests.factories import UserFactory

# One factory per model, in its owning app; these names stay importable from here for tests
# written before the move.
__all__ = [
    "CannedAnswerFactory",
    "MessageFactory",
    "MunicipalServiceFactory",
    "SubscriberFactory",
    "TicketFactory",
    "UserFactory",
    "operator",
    "service_staff",
]


def operator(**kwargs):
    return UserFactory(roles=[Role.OPERATOR], **kwargs)


def service_staff(service, **kwargs):
    user = UserFactory(roles=[Role.SERVICE], **kwargs)
    service.staff.add(user)
    return user


class MunicipalServiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MunicipalService

    slug = factory.Sequence(lambda n: f"servizio-{n}")
    name = factory.Sequence(lambda n: f"Servizio {n}")
    email = factory.LazyAttribute(lambda s: f"{s.slug}@comune.example.it")


class TicketFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Ticket

    subscriber = factory.SubFactory(SubscriberFactory)
    state = TicketState.NEW
    opened_at = factory.LazyFunction(timezone.now)
    due_at = factory.LazyAttribute(lambda t: t.opened_at + dt.timedelta(days=2))
    last_inbound_at = factory.LazyAttribute(lambda t: t.opened_at)
    last_message_at = factory.LazyAttribute(lambda t: t.opened_at)


class MessageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Message

    ticket = factory.SubFactory(TicketFactory)
    origin = MessageOrigin.CITIZEN
    text = factory.Faker("sentence", locale="it_IT")
    at = factory.LazyFunction(timezone.now)


class CannedAnswerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CannedAnswer

    title = factory.Sequence(lambda n: f"Risposta {n}")
    text = "Buongiorno {nome}, la richiesta {numero} è stata presa in carico."
