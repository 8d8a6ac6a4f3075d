"""Session timeouts and the second factor, applied to every request of a signed-in account."""

import logging
import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from .second_factor import user_must_enrol, user_needs_second_factor

security_log = logging.getLogger("urp_portal.security")

# Session keys: when the account signed in, and when it was last seen (Unix seconds).
SIGNED_IN_AT = "_urp_signed_in_at"
SEEN_AT = "_urp_seen_at"
# The last-seen time is written at most this often: a session write per request costs more than
# a minute of idle-timeout precision is worth.
SEEN_RESOLUTION_SECONDS = 60
# Until when an account found not to need the second factor is not asked again: a query per
# request saved, and an account given the administrator role meets the code page within a minute.
NO_SECOND_FACTOR_UNTIL = "_urp_no_second_factor_until"
# Sent by a page's scripts on requests nobody asked for (tickets/static/tickets/live.js).
BACKGROUND_HEADER = "X-URP-Background"
NO_SECOND_FACTOR_RECHECK_SECONDS = 60


def session_stamp_sign_in(request: HttpRequest, user) -> None:
    """At sign-in: the timeouts start, and whether the account needs the second factor is found
    once (the session is written then anyway)."""
    now = int(time.time())
    request.session[SIGNED_IN_AT] = now
    request.session[SEEN_AT] = now
    request.session[NO_SECOND_FACTOR_UNTIL] = (
        0 if user_needs_second_factor(user) else now + NO_SECOND_FACTOR_RECHECK_SECONDS
    )


class SessionTimeoutMiddleware:
    """Signs out a session idle for URP_SESSION_IDLE_MINUTES, or older than URP_SESSION_MAX_HOURS
    since its sign-in, whatever it did since. The request then goes on signed out: the console
    answers with its sign-in page, the API with 401/403."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            self._check(request)
        return self.get_response(request)

    def _check(self, request: HttpRequest) -> None:
        now = int(time.time())
        session = request.session
        signed_in_at = session.get(SIGNED_IN_AT)
        seen_at = session.get(SEEN_AT)
        if signed_in_at is None or seen_at is None:
            # A session from before the timeouts existed starts counting now.
            session_stamp_sign_in(request, request.user)
            return
        idle = now - seen_at > settings.URP_SESSION_IDLE_MINUTES * 60
        too_old = now - signed_in_at > settings.URP_SESSION_MAX_HOURS * 3600
        if idle or too_old:
            security_log.info(
                "session expired user=%s reason=%s",
                request.user.get_username(),
                "idle" if idle else "absolute",
            )
            logout(request)
            return
        # A page's own background requests (the live console's polls and refreshes, which say
        # so in BACKGROUND_HEADER) are not the person's activity: an open console left alone
        # still ends after the idle time.
        background = request.headers.get(BACKGROUND_HEADER) == "1"
        if now - seen_at >= SEEN_RESOLUTION_SECONDS and not background:
            session[SEEN_AT] = now


class SecondFactorMiddleware:
    """An account that needs the second factor and has not passed it in this session reaches
    only the pages that let it pass it (or sign out): the enrolment page if it has no device yet,
    the code page otherwise. Console pages redirect there; the API answers 403 in its own
    format. Requests authenticated by an API token carry no session and are not concerned."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if (
            user.is_authenticated
            and not user.is_verified()  # type: ignore[attr-defined]
            and self._needs_second_factor(request)
            and not self._exempt(request)
        ):
            return self._refuse(request)
        return self.get_response(request)

    @staticmethod
    def _needs_second_factor(request: HttpRequest) -> bool:
        now = int(time.time())
        if request.session.get(NO_SECOND_FACTOR_UNTIL, 0) > now:
            return False
        if user_needs_second_factor(request.user):
            return True
        request.session[NO_SECOND_FACTOR_UNTIL] = now + NO_SECOND_FACTOR_RECHECK_SECONDS
        return False

    @staticmethod
    def _exempt(request: HttpRequest) -> bool:
        exempt = (
            reverse("accounts:second_factor_verify"),
            reverse("accounts:second_factor_enrol"),
            reverse("admin:logout"),
        )
        static = "/" + settings.STATIC_URL.lstrip("/")
        return request.path in exempt or request.path.startswith(static)

    @staticmethod
    def _refuse(request: HttpRequest) -> HttpResponse:
        if request.path.startswith("/api/"):
            return JsonResponse(
                {
                    "code": "second_factor_required",
                    "message": _("Completa l'accesso con il codice di verifica nella console."),
                    "message_en": "Finish signing in with the verification code in the console.",
                    "details": {},
                },
                status=403,
            )
        target = (
            "accounts:second_factor_enrol"
            if user_must_enrol(request.user)
            else "accounts:second_factor_verify"
        )
        next_url = request.get_full_path() if request.method == "GET" else reverse("admin:index")
        return HttpResponseRedirect(f"{reverse(target)}?{urlencode({'next': next_url})}")
