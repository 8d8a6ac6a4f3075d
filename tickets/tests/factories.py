import datetime as dt
import itertools

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from subscribers.models import Subscriber
from tickets.models import CannedAnswer, Message, MunicipalService, Ticket
from tickets.states import MessageOrigin, TicketState
from urp_portal.accounts.roles import GROUP_NAMES, Role

_numbers = itertools.count(1000000)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@comune.example.it")
    is_staff = True
    password = factory.django.Password("password-for-tests")

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        if extracted:
            self.groups.add(Group.objects.get(name=GROUP_NAMES[extracted]))


def operator(**kwargs):
    return UserFactory(role=Role.OPERATOR, **kwargs)


def service_staff(service, **kwargs):
    user = UserFactory(role=Role.SERVICE, **kwargs)
    service.staff.add(user)
    return user


class SubscriberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Subscriber

    number = factory.LazyFunction(lambda: f"+39333{next(_numbers)}")
    profile_name = factory.Faker("first_name", locale="it_IT")
    last_inbound_at = factory.LazyFunction(timezone.now)


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
