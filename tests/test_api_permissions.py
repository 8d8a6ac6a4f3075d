"""The console's roles on the API, and a service's token confined to its own service."""

import pytest
from django.urls import include, path
from rest_framework import serializers
from rest_framework.generics import RetrieveAPIView
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView

from urp_portal.accounts.models import ApiToken
from urp_portal.accounts.permissions import HasRole, ServiceScopedMixin, scope_to_service
from urp_portal.accounts.principals import Principal, principal_for_user
from urp_portal.accounts.roles import Role
from urp_portal.accounts.tests.factories import UserFactory, make_api_token, token_client

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]


class BroadcastOnlyView(APIView):
    """Stands for a communications-only action (sending a broadcast)."""

    permission_classes = [HasRole(Role.COMMUNICATIONS)]

    def post(self, request):
        return Response({"sent": True})


class ServiceObjectSerializer(serializers.ModelSerializer):
    class Meta:
        model = ApiToken
        fields = ["id", "service_slug"]


class ServiceObjectView(ServiceScopedMixin, RetrieveAPIView):
    """Stands for a ticket forwarded to a service: tokens carry a service slug too."""

    permission_classes = [HasRole(Role.OPERATOR, Role.SERVICE)]
    queryset = ApiToken.all_comuni.all()  # built at import: no scope then
    serializer_class = ServiceObjectSerializer
    service_lookup = "service_slug"


urlpatterns = [
    path("api/v1/", include("urp_portal.api.urls")),
    path("api/v1/test/broadcast/", BroadcastOnlyView.as_view()),
    path("api/v1/test/objects/<int:pk>/", ServiceObjectView.as_view()),
]


def test_an_operators_token_cannot_send_a_broadcast():
    response = token_client(Role.OPERATOR).post("/api/v1/test/broadcast/", {})

    assert response.status_code == 403
    assert response.json()["code"] == "role_not_allowed"


@pytest.mark.parametrize("role", [Role.COMMUNICATIONS, Role.ADMINISTRATOR])
def test_communications_and_administrators_tokens_may_send_a_broadcast(role):
    response = token_client(role).post("/api/v1/test/broadcast/", {})

    assert response.status_code == 200


@pytest.mark.parametrize(
    ("roles", "allowed"),
    [
        ({Role.OPERATOR}, False),
        ({Role.MODERATOR}, False),
        ({Role.SERVICE}, False),
        ({Role.COMMUNICATIONS}, True),
        ({Role.OPERATOR, Role.COMMUNICATIONS}, True),
        ({Role.ADMINISTRATOR}, True),
        (set(), False),
    ],
)
def test_has_role_allows_the_roles_it_names_and_administrators(roles, allowed):
    request = APIRequestFactory().get("/")
    request._urp_principal = Principal(roles=frozenset(roles), service_slug=None)

    assert HasRole(Role.COMMUNICATIONS)().has_permission(request, view=None) is allowed


def test_has_role_needs_a_role():
    with pytest.raises(ValueError):
        HasRole()


def test_a_console_user_has_the_roles_of_their_groups():
    user = UserFactory(roles=[Role.OPERATOR, Role.MODERATOR])

    principal = principal_for_user(user)

    assert principal.roles == {Role.OPERATOR, Role.MODERATOR}
    assert principal.user == user and principal.token is None


def test_a_superuser_is_an_administrator():
    user = UserFactory(is_superuser=True)

    assert principal_for_user(user).roles == {Role.ADMINISTRATOR}


def test_a_console_users_session_is_held_to_their_roles(client):
    client.force_login(UserFactory(roles=[Role.OPERATOR]))

    response = client.post("/api/v1/test/broadcast/", {}, content_type="application/json")

    assert response.status_code == 403


def test_a_services_token_gets_404_for_another_services_object():
    own, _ = make_api_token(Role.SERVICE, service_slug="tributi", name="tributi")
    other, _ = make_api_token(Role.SERVICE, service_slug="anagrafe", name="anagrafe")
    client = token_client(Role.SERVICE, service_slug="tributi")

    assert client.get(f"/api/v1/test/objects/{own.pk}/").status_code == 200
    response = client.get(f"/api/v1/test/objects/{other.pk}/")

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_an_operators_token_sees_every_services_objects():
    tributi, _ = make_api_token(Role.SERVICE, service_slug="tributi")
    anagrafe, _ = make_api_token(Role.SERVICE, service_slug="anagrafe")
    client = token_client(Role.OPERATOR)

    assert client.get(f"/api/v1/test/objects/{tributi.pk}/").status_code == 200
    assert client.get(f"/api/v1/test/objects/{anagrafe.pk}/").status_code == 200


def test_a_service_principal_without_a_service_sees_nothing():
    make_api_token(Role.SERVICE, service_slug="tributi")
    principal = Principal(roles=frozenset({Role.SERVICE}), service_slug=None)

    scoped = scope_to_service(ApiToken.objects.all(), principal=principal, lookup="service_slug")

    assert list(scoped) == []


def test_a_tokens_user_holds_the_permissions_of_its_roles_group_and_no_admin():
    from urp_portal.accounts.principals import ApiTokenUser

    administrator = ApiTokenUser(make_api_token(Role.ADMINISTRATOR)[0])
    operator = ApiTokenUser(make_api_token(Role.OPERATOR)[0])

    assert administrator.has_perm("subscribers.export_subscriber")
    assert not operator.has_perm("subscribers.export_subscriber")
    assert operator.has_perm("tickets.change_ticket")
    assert operator.has_module_perms("tickets") and not operator.has_module_perms("auth")
    assert not administrator.is_staff and not administrator.is_superuser
