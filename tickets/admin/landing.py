"""Where the console opens after signing in: the inbox, for those whose day is answering (URP
operators and the services' staff); the dashboard for the others."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from urp_portal.accounts.roles import Role, user_has_role


def user_lands_on_inbox(user: Any) -> bool:
    if not getattr(user, "is_authenticated", False) or user.is_superuser:
        return False
    return user_has_role(user, Role.OPERATOR) or user_has_role(user, Role.SERVICE)


def login_landing_on_inbox(login: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """The admin's login view, sending to the inbox whoever it would send to the admin's home
    page by default (a `next` the person followed is kept)."""

    def view(request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        response = login(request, extra_context)
        if (
            request.method == "POST"
            and isinstance(response, HttpResponseRedirect)
            and response.url == reverse("admin:index")
            and user_lands_on_inbox(request.user)
        ):
            # The login's own response carries the cookies the sign-in set (the rotated CSRF
            # token, set by the view's csrf_protect): only where it points changes.
            response["Location"] = reverse("admin:tickets_ticket_changelist")
        return response

    return view
