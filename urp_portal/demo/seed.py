"""A realistic Italian data set for the demo. Idempotent: running it twice adds nothing."""

from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from subscribers.models import Subscriber
from subscribers.states import SubscriberStatus
from urp_portal.accounts.roles import GROUP_NAMES, Role

DEMO_PASSWORD = "urp-demo-2026"  # noqa: S105 - printed on purpose: demo accounts only


@dataclass(frozen=True)
class DemoUser:
    username: str
    first_name: str
    last_name: str
    role: Role
    superuser: bool = False


DEMO_USERS = [
    DemoUser("admin", "Paola", "Serra", Role.ADMINISTRATOR, superuser=True),
    DemoUser("operatore", "Marco", "Pinna", Role.OPERATOR),
    DemoUser("comunicazione", "Giulia", "Melis", Role.COMMUNICATIONS),
    DemoUser("moderatore", "Andrea", "Loi", Role.MODERATOR),
    DemoUser("anagrafe", "Franca", "Usai", Role.SERVICE),
]

DEMO_CITIZENS = [
    ("+393401234501", "Maria Rossi", SubscriberStatus.SUBSCRIBED),
    ("+393471234502", "Giuseppe Sanna", SubscriberStatus.SUBSCRIBED),
    ("+393291234503", "Antonella Piras", SubscriberStatus.CONTACT),
    ("+393351234504", "Luca Murgia", SubscriberStatus.SUBSCRIBED),
    ("+393921234505", "Francesca Deiana", SubscriberStatus.CONTACT),
    ("+393661234506", "Salvatore Cocco", SubscriberStatus.UNSUBSCRIBED),
]


def seed_users() -> list[DemoUser]:
    User = get_user_model()
    for demo in DEMO_USERS:
        user, created = User.objects.get_or_create(
            username=demo.username,
            defaults={
                "first_name": demo.first_name,
                "last_name": demo.last_name,
                "email": f"{demo.username}@comune.example.it",
                "is_staff": True,
                "is_superuser": demo.superuser,
            },
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
        user.groups.add(Group.objects.get(name=GROUP_NAMES[demo.role]))
    return DEMO_USERS


def seed_citizens() -> None:
    now = timezone.now()
    for number, name, status in DEMO_CITIZENS:
        Subscriber.objects.get_or_create(
            number=number,
            defaults={
                "profile_name": name,
                "status": status,
                "first_contact_at": now - timedelta(days=30),
                "last_inbound_at": now - timedelta(days=2),
                "subscribed_at": (
                    now - timedelta(days=20) if status == SubscriberStatus.SUBSCRIBED else None
                ),
            },
        )


@transaction.atomic
def seed_demo() -> list[DemoUser]:
    users = seed_users()
    seed_citizens()
    return users
