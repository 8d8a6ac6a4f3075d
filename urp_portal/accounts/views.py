"""The second step of signing in (the TOTP code) and the enrolment of an authenticator app."""

import logging

import django_otp
from django.contrib import admin, messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from .forms import TotpTokenForm
from .second_factor import (
    totp_device_confirm,
    totp_device_pending,
    totp_device_verify,
    totp_qr_data_uri,
    totp_secret_for_typing,
    user_must_enrol,
)

security_log = logging.getLogger("urp_portal.security")


def _next_url(request: HttpRequest) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return reverse("admin:index")


def _context(request: HttpRequest, **extra) -> dict:
    return {
        **admin.site.each_context(request),
        "next": _next_url(request),
        **extra,
    }


def _client(request: HttpRequest) -> str:
    return getattr(request, "axes_ip_address", None) or request.META.get("REMOTE_ADDR", "")


@never_cache
@sensitive_post_parameters("token")
@require_http_methods(["GET", "POST"])
@login_required
def second_factor_verify(request: HttpRequest) -> HttpResponse:
    """The code from the authenticator app, asked after the password."""
    if user_must_enrol(request.user):
        return HttpResponseRedirect(
            f"{reverse('accounts:second_factor_enrol')}?{urlencode({'next': _next_url(request)})}"
        )
    form = TotpTokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = totp_device_verify(user=request.user, token=form.cleaned_data["token"])
        if device is not None:
            django_otp.login(request, device)
            # A new session id for the now fully signed-in session, as Django gives one at the
            # password step: an id seen before the second factor (fixation) opens nothing.
            request.session.cycle_key()
            security_log.info(
                "second factor verified user=%s ip=%s",
                request.user.get_username(),
                _client(request),
            )
            return HttpResponseRedirect(_next_url(request))
        security_log.warning(
            "second factor failed user=%s ip=%s", request.user.get_username(), _client(request)
        )
        form.add_error("token", _("Codice non valido o scaduto. Riprova tra qualche secondo."))
    return TemplateResponse(
        request,
        "accounts/second_factor_verify.html",
        _context(request, form=form, title=_("Verifica in due passaggi")),
    )


@never_cache
@sensitive_post_parameters("token")
@require_http_methods(["GET", "POST"])
@login_required
def second_factor_enrol(request: HttpRequest) -> HttpResponse:
    """Enrol an authenticator app: scan the QR code (or type the key), confirm with a code.

    An account that already has a confirmed device and has not passed it in this session is
    sent to the code page: enrolling again would otherwise bypass the device it has."""
    has_device = not user_must_enrol(request.user)
    if has_device and not request.user.is_verified():  # type: ignore[union-attr]
        return HttpResponseRedirect(
            f"{reverse('accounts:second_factor_verify')}?{urlencode({'next': _next_url(request)})}"
        )
    device = totp_device_pending(user=request.user)
    form = TotpTokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if totp_device_confirm(device=device, token=form.cleaned_data["token"]):
            device.refresh_from_db()
            django_otp.login(request, device)
            # A new session id for the now fully signed-in session, as Django gives one at the
            # password step: an id seen before the second factor (fixation) opens nothing.
            request.session.cycle_key()
            security_log.info(
                "second factor enrolled user=%s ip=%s",
                request.user.get_username(),
                _client(request),
            )
            messages.success(request, _("Verifica in due passaggi attivata."))
            return HttpResponseRedirect(_next_url(request))
        security_log.warning(
            "second factor enrolment failed user=%s ip=%s",
            request.user.get_username(),
            _client(request),
        )
        form.add_error("token", _("Codice non valido: controlla l'ora del telefono e riprova."))
    return TemplateResponse(
        request,
        "accounts/second_factor_enrol.html",
        _context(
            request,
            form=form,
            title=_("Attiva la verifica in due passaggi"),
            qr_data_uri=totp_qr_data_uri(device),
            secret=totp_secret_for_typing(device),
            replacing=has_device,
        ),
    )
