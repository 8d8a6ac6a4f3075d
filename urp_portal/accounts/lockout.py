"""Progressive cool-off of django-axes (settings.AXES_COOLOFF_TIME names `login_cool_off`).

A username at an address gets AXES_FAILURE_LIMIT tries; then it waits URP_LOGIN_COOLOFF_MINUTES.
Every further series of that many failures within a day doubles the wait, up to a day: a person
who mistyped waits a quarter of an hour, a script guessing all night waits longer each time."""

from datetime import timedelta

from axes.helpers import get_client_username
from axes.models import AccessFailureLog
from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone

from urp_portal.observability.context import client_ip

# Failures older than this no longer lengthen the wait.
PROGRESSION_MEMORY = timedelta(days=1)
LONGEST_COOL_OFF = timedelta(days=1)


def client_address(request: HttpRequest) -> str:
    """The client's address behind settings.URP_PROXY_COUNT reverse proxies (the audit
    trail's rule, so a lockout and an audit event name the same address)."""
    return client_ip(request) or ""


def cool_off_for_failures(failures: int) -> timedelta:
    """The wait after `failures` recent failures: the base for the first series of
    AXES_FAILURE_LIMIT, doubled for each series begun after it. Rounded up, so the same wait
    comes out whether django-axes asks while recording the last failure of a series (not yet in
    the log) or afterwards."""
    base = timedelta(minutes=settings.URP_LOGIN_COOLOFF_MINUTES)
    series = max(-(-failures // max(settings.AXES_FAILURE_LIMIT, 1)), 1)
    # Capped before multiplying: 2**n of a long night of guesses would overflow a timedelta.
    doublings = min(series - 1, 16)
    return min(base * 2**doublings, LONGEST_COOL_OFF)


def login_cool_off(request: HttpRequest | None) -> timedelta:
    """Called by django-axes with the sign-in request (or None from its maintenance commands)."""
    if request is None:
        return cool_off_for_failures(0)
    username = get_client_username(request)
    address = getattr(request, "axes_ip_address", None)
    if not username or not address:
        return cool_off_for_failures(0)
    failures = AccessFailureLog.objects.filter(
        username=username,
        ip_address=address,
        attempt_time__gte=timezone.now() - PROGRESSION_MEMORY,
    ).count()
    return cool_off_for_failures(failures)
