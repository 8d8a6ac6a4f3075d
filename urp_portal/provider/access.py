"""Who is a provider administrator, and where they land.

Modelled as a group ("Amministratori del fornitore", roles.PROVIDER_GROUP_NAME), like the five
roles, and not as a sixth API token role: the provider's work (comuni, numbers, first accounts,
health across comuni) has no endpoint in API v1, which is one comune's, so a token of it would
open nothing; and not as a flag on the account, which would be a second way of saying what a
group already says, invisible in the admin's groups. The group holds no model permission: its
pages check the group, and the admin's pages of tickets, subscribers and messages stay closed
(403) to an account that has only it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from urp_portal.accounts.roles import PROVIDER_GROUP_NAME


def user_is_provider(user: Any) -> bool:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_superuser:
        return True
    return user.groups.filter(name=PROVIDER_GROUP_NAME).exists()


def require_provider(request: HttpRequest) -> None:
    if not user_is_provider(request.user):
        raise PermissionDenied


def login_landing_on_health(login: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """The admin's login view, sending a provider administrator (not a superuser) to the
    comuni's health instead of an admin home page with nothing of theirs on it."""

    def view(request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        response = login(request, extra_context)
        if (
            request.method == "POST"
            and isinstance(response, HttpResponseRedirect)
            and response.url == reverse("admin:index")
            and not request.user.is_superuser
            and user_is_provider(request.user)
        ):
            response["Location"] = reverse("provider:health")
        return response

    return view


def index_with_provider_link(index: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """The admin's home page, with the provider's pages linked for a provider administrator."""

    def view(request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
        if user_is_provider(request.user):
            extra_context = {
                **(extra_context or {}),
                "provider_health_url": reverse("provider:health"),
            }
        return index(request, extra_context)

    return view
