"""The comune a request works for (many comuni on one deployment, issue #24), set around the
whole request by ComuneScopeMiddleware and reset when it ends.

- A console session: the account's only comune (StaffMembership); for a member of several (a
  provider's help desk) or a superuser, the comune chosen for this session on the "Scegli il
  comune" page, asked before anything else; no membership: the active comune.
- An API token: set by its authentication (authentication.py), the token's comune or, empty,
  the active one. An API call with a session is scoped as the console is.
- On a deployment of one comune nothing is set: the request runs unscoped, exactly as before.

Cheap on the hot path (the live console polls every 2 s): which comuni the account may work
for is kept in its session and checked again once a minute (a membership taken away closes
within it), and the comune itself comes from the per-process cache (scope_cache.py): a poll
costs no query for its scope.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from urp_portal.municipality.scope import comune_scope, comune_scope_enter, serves_other_comuni
from urp_portal.municipality.scope_cache import (
    active_comune_id,
    comune_for_scope,
    served_comune_ids,
)

# Session keys: the comuni the account may work for, until when that is believed (Unix
# seconds), and the one chosen for this session.
CHOICES = "_urp_comune_choices"
CHOICES_UNTIL = "_urp_comune_choices_until"
CHOSEN = "_urp_comune"
CHOICES_RECHECK_SECONDS = 60

# The console's own paths: a request of a member of several comuni that has not chosen one
# is sent to the picker. Other paths (the API, health, static) are answered in their way.
CONSOLE_PREFIXES = ("/admin/", "/tickets/", "/console/")


def staff_comune_choices(user) -> list[int]:
    """The comuni a console account may work for: every comune served for a superuser, its
    memberships for the others, and the active comune for an account with none."""
    from .selectors import staff_comune_ids

    served = served_comune_ids()
    if user.is_superuser:
        return list(served)
    memberships = staff_comune_ids(user=user)
    if memberships:
        # A member only of comuni no longer served has none to work for.
        return sorted(pk for pk in memberships if pk in served)
    active = active_comune_id()
    return [active] if active is not None else []


def session_comune_choices(request: HttpRequest) -> list[int]:
    session = request.session
    now = int(time.time())
    if session.get(CHOICES_UNTIL, 0) <= now or CHOICES not in session:
        choices = staff_comune_choices(request.user)
        session[CHOICES] = choices
        session[CHOICES_UNTIL] = now + CHOICES_RECHECK_SECONDS
        chosen = session.get(CHOSEN)
        if chosen not in choices:
            session[CHOSEN] = choices[0] if len(choices) == 1 else None
    return session[CHOICES]


def session_comune_choose(request: HttpRequest, *, comune_id: int) -> bool:
    """The comune picked for this session, if it is one of the account's."""
    if comune_id not in session_comune_choices(request):
        return False
    request.session[CHOSEN] = comune_id
    return True


def session_comune_id(request: HttpRequest) -> int | None:
    """The session's comune (None: not chosen yet, or none to work for)."""
    choices = session_comune_choices(request)
    chosen = request.session.get(CHOSEN)
    return chosen if chosen in choices else None


def api_token_enter_scope(token) -> None:
    """An API token's request, from its authentication on: the token's comune, or the active
    one when it names none; nothing on a deployment of one comune."""
    if not serves_other_comuni():
        return
    comune_id = token.comune_id or active_comune_id()
    comune_enter = comune_for_scope(comune_id) if comune_id is not None else None
    comune_scope_enter(comune_enter)


class ComuneScopeMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.urp_comune = None  # type: ignore[attr-defined]
        request.urp_comune_choices = []  # type: ignore[attr-defined]
        # The block's exit resets whatever the request set, a token's scope included.
        with comune_scope(None):
            user = getattr(request, "user", None)
            if user is None or not user.is_authenticated or not serves_other_comuni():
                return self.get_response(request)
            choices = session_comune_choices(request)
            request.urp_comune_choices = choices  # type: ignore[attr-defined]
            comune_id = session_comune_id(request)
            if comune_id is None:
                refusal = self._refuse_until_chosen(request)
                if refusal is not None:
                    return refusal
                return self.get_response(request)
            comune = comune_for_scope(comune_id)
            request.urp_comune = comune  # type: ignore[attr-defined]
            comune_scope_enter(comune)
            return self.get_response(request)

    @staticmethod
    def _refuse_until_chosen(request: HttpRequest) -> HttpResponse | None:
        path = request.path
        static = "/" + settings.STATIC_URL.lstrip("/")
        # The provider's pages work across comuni (they check their own group and read every
        # comune's figures): an account of the provider with no comune's membership, or with
        # no comune active, must reach them without choosing one.
        if path.startswith(reverse("provider:health")):
            return None
        exempt = (
            reverse("comune_pick"),
            reverse("admin:logout"),
            reverse("accounts:second_factor_verify"),
            reverse("accounts:second_factor_enrol"),
            reverse("admin:jsi18n"),
        )
        if path in exempt or path.startswith(static):
            return None
        if path.startswith("/api/"):
            if request.headers.get("Authorization"):
                return None  # a token's request: its authentication scopes it
            return JsonResponse(
                {
                    "code": "comune_not_chosen",
                    "message": _("Scegli nella console il comune per cui lavori."),
                    "message_en": "Choose in the console the comune you work for.",
                    "details": {},
                },
                status=403,
            )
        if not path.startswith(CONSOLE_PREFIXES):
            return None
        next_url = request.get_full_path() if request.method == "GET" else reverse("admin:index")
        return HttpResponseRedirect(f"{reverse('comune_pick')}?{urlencode({'next': next_url})}")
