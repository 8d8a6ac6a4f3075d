import factory
from django.contrib.auth.models import Group
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from urp_portal.accounts.roles import GROUP_NAMES, PROVIDER_GROUP_NAME
from urp_portal.accounts.second_factor import DEVICE_NAME, user_needs_second_factor
from urp_portal.accounts.services import api_token_create


class UserFactory(factory.django.DjangoModelFactory):
    """A member of the comune's staff, in the groups of `roles`:
    `UserFactory(roles=[Role.OPERATOR])`; with `provider=True`, a provider's administrator."""

    class Meta:
        model = "auth.User"
        django_get_or_create = ["username"]
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"staff{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@comune.example.it")
    is_staff = True
    password = factory.django.Password("a-long-test-password")

    @factory.post_generation
    def roles(self, create, roles, **kwargs):
        for role in roles or ():
            self.groups.add(Group.objects.get(name=GROUP_NAMES[role]))

    @factory.post_generation
    def provider(self, create, provider, **kwargs):
        """`provider=True`: one of the provider's administrators (their group; no role)."""
        if provider:
            self.groups.add(Group.objects.get(name=PROVIDER_GROUP_NAME))


def make_api_token(role: str = "operator", *, service_slug: str = "", name: str = "gestionale"):
    """A token and its clear key, as create_api_token makes them."""
    return api_token_create(name=name, role=role, service_slug=service_slug)


def client_with_key(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def token_client(role: str = "operator", *, service_slug: str = "") -> APIClient:
    if role == "service" and not service_slug:
        service_slug = "anagrafe"
    _token, key = make_api_token(role, service_slug=service_slug)
    return client_with_key(key)


def totp_device_for(user) -> TOTPDevice:
    """The user's confirmed authenticator device, made if missing."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=True)
    return device


def pass_second_factor(client, user) -> None:
    """Give a signed-in test client's session the second factor, as if its code had been typed
    (nothing for an account that needs none)."""
    if not user_needs_second_factor(user):
        return
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = totp_device_for(user).persistent_id
    session.save()
