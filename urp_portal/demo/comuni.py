"""The demo of many comuni on one deployment (issue #24): the four seed comuni side by side.

Cagliari stays the deployment's own comune (the WHATSAPP_* number, the accounts of
`seed_demo`); Assemini, Ancona and San Giuliano Milanese are added from their presets, each
bound to its own simulated number, with its own demo accounts (a StaffMembership to it alone);
and a provider administrator sees them all in counts. The citizen's phone (/simulator/) lets the
visitor pick which comune's number to write to. Idempotent, like the rest of the demo."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from urp_portal.accounts.models import StaffMembership
from urp_portal.accounts.roles import GROUP_NAMES, PROVIDER_GROUP_NAME, Role
from urp_portal.municipality.models import Municipality, WhatsAppNumber
from urp_portal.municipality.services import municipality_load_preset_for_number

from .seed import DEMO_PASSWORD, DEMO_TOTP_KEY


@dataclass(frozen=True)
class DemoComune:
    preset: str
    slug: str
    # The simulated number's id; Cagliari's is the deployment's own (make demo's
    # WHATSAPP_PHONE_NUMBER_ID, 100000000000001).
    phone_number_id: str


DEMO_COMUNI = [
    DemoComune("assemini", "assemini", "100000000000002"),
    DemoComune("ancona", "ancona", "100000000000003"),
    DemoComune("san_giuliano", "san-giuliano", "100000000000004"),
]


@dataclass(frozen=True)
class DemoAccount:
    username: str
    label: str
    comune: str  # the comune's name; "" for the provider (all of them, in counts)


def _user(username: str, first_name: str, last_name: str, *, must_enrol: bool):
    user, created = get_user_model().objects.get_or_create(
        username=username,
        defaults={
            "first_name": first_name,
            "last_name": last_name,
            "email": f"{username}@comune.example.it",
            "is_staff": True,
        },
    )
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
    if must_enrol:
        TOTPDevice.objects.get_or_create(
            user=user, name="Demo", defaults={"key": DEMO_TOTP_KEY, "confirmed": True}
        )
    return user


@transaction.atomic
def seed_demo_comuni() -> list[DemoAccount]:
    """Add the three other comuni with their numbers and accounts, and the provider."""
    accounts: list[DemoAccount] = []
    for demo in DEMO_COMUNI:
        comune = Municipality.objects.filter(slug=demo.slug).first()
        if comune is None or not WhatsAppNumber.objects.filter(comune=comune).exists():
            comune = municipality_load_preset_for_number(
                preset=demo.preset, comune_slug=demo.slug, phone_number_id=demo.phone_number_id
            )
        for prefix, role, label in (
            ("operatore", Role.OPERATOR, Role.OPERATOR.label),
            ("admin", Role.ADMINISTRATOR, Role.ADMINISTRATOR.label),
        ):
            username = f"{prefix}.{demo.slug}"
            user = _user(
                username, prefix.capitalize(), comune.name, must_enrol=role == Role.ADMINISTRATOR
            )
            user.groups.add(Group.objects.get(name=GROUP_NAMES[role]))
            StaffMembership.objects.get_or_create(user=user, comune=comune)
            accounts.append(DemoAccount(username, str(label), comune.name))
    provider = _user("fornitore", "Provincia", "Fornitore", must_enrol=True)
    provider.groups.add(Group.objects.get(name=PROVIDER_GROUP_NAME))
    accounts.append(DemoAccount("fornitore", PROVIDER_GROUP_NAME, ""))
    return accounts
