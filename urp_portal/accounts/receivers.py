"""The security log (logger `urp_portal.security`): sign-ins, sign-outs, failures and lockouts.

Who and from where, never a password. The addresses are the ones django-axes resolved (through
URP_PROXY_COUNT proxies)."""

import logging

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from .middleware import session_stamp_sign_in

security_log = logging.getLogger("urp_portal.security")


def _address(request) -> str:
    if request is None:
        return ""
    return getattr(request, "axes_ip_address", None) or request.META.get("REMOTE_ADDR", "")


@receiver(user_logged_in, dispatch_uid="accounts.signed_in")
def signed_in(sender, request, user, **kwargs) -> None:
    if request is not None and hasattr(request, "session"):
        session_stamp_sign_in(request, user)
    security_log.info("login user=%s ip=%s", user.get_username(), _address(request))


@receiver(user_logged_out, dispatch_uid="accounts.signed_out")
def signed_out(sender, request, user, **kwargs) -> None:
    username = user.get_username() if user is not None else ""
    security_log.info("logout user=%s ip=%s", username, _address(request))


@receiver(user_login_failed, dispatch_uid="accounts.sign_in_failed")
def sign_in_failed(sender, credentials, request=None, **kwargs) -> None:
    # Django has already replaced the password in `credentials` with stars.
    security_log.warning(
        "login failed user=%s ip=%s", credentials.get("username", ""), _address(request)
    )


@receiver(user_locked_out, dispatch_uid="accounts.locked_out")
def locked_out(sender, request, username, ip_address, **kwargs) -> None:
    security_log.warning("login locked out user=%s ip=%s", username or "", ip_address or "")
