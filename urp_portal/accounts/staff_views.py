"""The comune's staff pages (issue #24): "Personale del comune" for its administrators
(/admin/personale/, the comune the session works for), and the same pages for any comune from
the provider's (/admin/fornitore/comuni/<id>/personale/, provider/views.py checks the group).
The pages read through the selectors and write through accounts/staff.py; a user's mistake is
shown on the page (UserError), another comune's account is a 404."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from urp_portal.core.errors import UserError
from urp_portal.municipality.models import Municipality
from urp_portal.municipality.scope import current_comune
from urp_portal.municipality.selectors import municipality_get_active

from .forms import StaffAddForm, StaffInviteForm, StaffRoleForm
from .roles import GROUP_NAMES, Role, user_has_role
from .selectors import comune_staff, comune_staff_member
from .staff import (
    invitation_email_send,
    staff_member_add,
    staff_member_invite,
    staff_member_remove,
    staff_member_role_set,
)


@dataclass(frozen=True)
class StaffPlace:
    """Whose staff the page manages, and by whom: the comune, whether the provider's
    administrator is at work (it may change a role shared with other comuni), and the pages'
    addresses (one set of views behind two URL trees)."""

    comune: Municipality
    by_provider: bool
    list_url: str
    member_url: Callable[[int], str]
    # The provider's pages sit under its health page.
    parent: tuple[str, str] | None = None


def _comune_place(request: HttpRequest) -> StaffPlace:
    if not user_has_role(request.user, Role.ADMINISTRATOR):
        raise PermissionDenied
    return StaffPlace(
        comune=current_comune() or municipality_get_active(),
        by_provider=False,
        list_url=reverse("staff:list"),
        member_url=lambda user_id: reverse("staff:member", args=[user_id]),
    )


def _page(request: HttpRequest, place: StaffPlace, template: str, title: str, **extra):
    context = {
        **admin.site.each_context(request),
        "title": title,
        "place": place,
        "comune": place.comune,
        **extra,
    }
    return render(request, f"accounts/{template}", context)


def staff_list_page(request: HttpRequest, place: StaffPlace) -> HttpResponse:
    """The comune's staff with their roles; an account invited (new) or added (existing)."""
    # The least a new colleague may need; an administrator is chosen on purpose.
    invite = StaffInviteForm(prefix="nuovo", initial={"role": Role.OPERATOR})
    add = StaffAddForm(prefix="esistente")
    if request.method == "POST" and "invita" in request.POST:
        invite = StaffInviteForm(request.POST, prefix="nuovo")
        if invite.is_valid():
            try:
                invitation = staff_member_invite(
                    actor=request.user, comune=place.comune, **invite.cleaned_data
                )
            except UserError as error:
                invite.add_error(None, str(error.message))
            else:
                link = request.build_absolute_uri(invitation.path)
                emailed = invitation_email_send(
                    invitation=invitation, comune=place.comune, link=link
                )
                return _page(
                    request,
                    place,
                    "staff_invited.html",
                    _("Nuovo account di %(name)s") % {"name": place.comune.name},
                    invited=invitation.user,
                    link=link,
                    emailed=emailed,
                )
    elif request.method == "POST" and "aggiungi" in request.POST:
        add = StaffAddForm(request.POST, prefix="esistente")
        if add.is_valid():
            try:
                user = staff_member_add(actor=request.user, comune=place.comune, **add.cleaned_data)
            except UserError as error:
                add.add_error(None, str(error.message))
            else:
                messages.success(
                    request,
                    _("«%(username)s» ora lavora anche per %(name)s.")
                    % {"username": user.username, "name": place.comune.name},
                )
                return redirect(place.list_url)
    rows = [(row, place.member_url(row.user.pk)) for row in comune_staff(comune=place.comune)]
    return _page(
        request,
        place,
        "staff_list.html",
        _("Personale · %(name)s") % {"name": place.comune.name},
        rows=rows,
        invite=invite,
        add=add,
    )


def staff_member_page(request: HttpRequest, place: StaffPlace, user_id: int) -> HttpResponse:
    """One account of the comune: its role changed, or its removal from the comune."""
    row = comune_staff_member(comune=place.comune, user_id=user_id)
    if row is None:
        raise Http404
    current = next((role for role, name in GROUP_NAMES.items() if row.roles == [name]), None)
    form = StaffRoleForm(initial={"role": current} if current else None)
    error = ""
    if request.method == "POST":
        try:
            if "rimuovi" in request.POST:
                user, deactivated = staff_member_remove(
                    actor=request.user, comune=place.comune, user_id=user_id
                )
                done = (
                    _("«%(username)s» non lavora più per %(name)s; l'account è disattivato.")
                    if deactivated
                    else _("«%(username)s» non lavora più per %(name)s.")
                )
                messages.success(
                    request, done % {"username": user.username, "name": place.comune.name}
                )
                return redirect(place.list_url)
            form = StaffRoleForm(request.POST)
            if form.is_valid():
                staff_member_role_set(
                    actor=request.user,
                    comune=place.comune,
                    user_id=user_id,
                    role=form.cleaned_data["role"],
                    by_provider=place.by_provider,
                )
                messages.success(
                    request,
                    _("Ruolo di «%(username)s» aggiornato.") % {"username": row.user.username},
                )
                return redirect(place.list_url)
        except UserError as error_raised:
            error = str(error_raised.message)
    return _page(
        request,
        place,
        "staff_member.html",
        _("%(username)s, personale di %(name)s")
        % {"username": row.user.get_full_name() or row.user.username, "name": place.comune.name},
        row=row,
        form=form,
        error=error,
    )


@require_http_methods(["GET", "POST"])
def staff_list_view(request: HttpRequest) -> HttpResponse:
    return staff_list_page(request, _comune_place(request))


@require_http_methods(["GET", "POST"])
def staff_member_view(request: HttpRequest, user_id: int) -> HttpResponse:
    return staff_member_page(request, _comune_place(request), user_id)


def index_with_staff_link(index: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """The admin's home page, with the comune's staff page linked for its administrators."""

    def view(request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
        if user_has_role(request.user, Role.ADMINISTRATOR):
            extra_context = {**(extra_context or {}), "staff_url": reverse("staff:list")}
        return index(request, extra_context)

    return view
