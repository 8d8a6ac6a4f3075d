"""The provider administrator's pages, under /admin/fornitore/: the comuni's health, a new
comune, a comune's number, its first administrator; and the invitation page where that
administrator sets a password."""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from urp_portal.accounts.staff import invitation_email_send
from urp_portal.accounts.staff_views import StaffPlace, staff_list_page, staff_member_page
from urp_portal.core.errors import UserError
from urp_portal.municipality.models import Municipality

from .access import require_provider
from .forms import ComuneCreateForm, FirstAdministratorForm, NumberBindForm
from .health import provider_health
from .services import (
    provider_comune_create,
    provider_first_administrator_create,
    provider_number_bind,
)


def _page(request: HttpRequest, template: str, title: str, **extra) -> HttpResponse:
    context = {**admin.site.each_context(request), "title": title, **extra}
    return render(request, f"provider/{template}", context)


def health_page(request: HttpRequest) -> HttpResponse:
    require_provider(request)
    return _page(request, "health.html", _("Salute dei comuni"), health=provider_health())


def comune_create(request: HttpRequest) -> HttpResponse:
    require_provider(request)
    form = ComuneCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            comune = provider_comune_create(actor=request.user, **form.cleaned_data)
        except UserError as error:
            form.add_error(None, str(error.message))
        else:
            messages.success(
                request,
                _("Comune «%(name)s» creato e collegato al suo numero.") % {"name": comune.name},
            )
            return redirect("provider:administrator_create", comune_id=comune.pk)
    return _page(request, "form.html", _("Nuovo comune"), form=form)


def number_bind(request: HttpRequest, comune_id: int) -> HttpResponse:
    require_provider(request)
    comune = get_object_or_404(Municipality, pk=comune_id)
    bound = comune.whatsapp_numbers.first()
    initial = (
        {
            "phone_number_id": bound.phone_number_id,
            "business_account_id": bound.business_account_id,
            "business_portfolio_id": bound.business_portfolio_id,
        }
        if bound
        else {}
    )
    form = NumberBindForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            provider_number_bind(actor=request.user, comune=comune, **form.cleaned_data)
        except UserError as error:
            form.add_error(None, str(error.message))
        else:
            messages.success(request, _("Numero di %(name)s salvato.") % {"name": comune.name})
            return redirect("provider:health")
    return _page(
        request,
        "form.html",
        _("Numero WhatsApp di %(name)s") % {"name": comune.name},
        form=form,
        comune=comune,
        secrets_stored=bool(bound and (bound.access_token_sealed or bound.app_secret_sealed)),
    )


def administrator_create(request: HttpRequest, comune_id: int) -> HttpResponse:
    require_provider(request)
    comune = get_object_or_404(Municipality, pk=comune_id)
    form = FirstAdministratorForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            invitation = provider_first_administrator_create(
                actor=request.user, comune=comune, **form.cleaned_data
            )
        except UserError as error:
            form.add_error(None, str(error.message))
        else:
            link = request.build_absolute_uri(invitation.path)
            invitation_email_send(invitation=invitation, comune=comune, link=link)
            return _page(
                request,
                "invited.html",
                _("Primo amministratore di %(name)s") % {"name": comune.name},
                comune=comune,
                invited=invitation.user,
                link=link,
            )
    return _page(
        request,
        "form.html",
        _("Primo amministratore di %(name)s") % {"name": comune.name},
        form=form,
        comune=comune,
    )


def _staff_place(request: HttpRequest, comune_id: int) -> StaffPlace:
    require_provider(request)
    comune = get_object_or_404(Municipality, pk=comune_id)
    return StaffPlace(
        comune=comune,
        by_provider=True,
        list_url=reverse("provider:staff_list", args=[comune.pk]),
        member_url=lambda user_id: reverse("provider:staff_member", args=[comune.pk, user_id]),
        parent=(reverse("provider:health"), _("Salute dei comuni")),
    )


@require_http_methods(["GET", "POST"])
def staff_list(request: HttpRequest, comune_id: int) -> HttpResponse:
    """Any comune's staff, as its administrators see it (accounts/staff_views.py)."""
    return staff_list_page(request, _staff_place(request, comune_id))


@require_http_methods(["GET", "POST"])
def staff_member(request: HttpRequest, comune_id: int, user_id: int) -> HttpResponse:
    return staff_member_page(request, _staff_place(request, comune_id), user_id)


class InvitationView(auth_views.PasswordResetConfirmView):
    """The invitation link: Django's password-reset confirmation (a token valid once, bound to
    the account's state), with the admin's look and the sign-in page after it."""

    template_name = "provider/invitation.html"
    success_url = reverse_lazy("admin:login")

    def form_valid(self, form):
        response = super().form_valid(form)
        messages.success(self.request, _("Password impostata: ora può accedere."))
        return response

    def get_context_data(self, **kwargs):
        return {
            **super().get_context_data(**kwargs),
            "site_header": admin.site.site_header,
            "login_url": reverse("admin:login"),
        }
