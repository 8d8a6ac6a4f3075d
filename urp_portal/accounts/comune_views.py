""" "Scegli il comune": a member of several comuni (a provider's help desk) or a superuser picks
the comune this session works for (request_scope.py); the console's header links back here."""

from django.contrib import admin
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from urp_portal.municipality.models import Municipality

from .request_scope import session_comune_choices, session_comune_choose, session_comune_id
from .views import _next_url


@never_cache
@require_http_methods(["GET", "POST"])
@login_required
def comune_pick(request: HttpRequest) -> HttpResponse:
    error = ""
    if request.method == "POST":
        try:
            comune_id = int(request.POST.get("comune", ""))
        except ValueError:
            comune_id = 0
        if session_comune_choose(request, comune_id=comune_id):
            return HttpResponseRedirect(_next_url(request))
        error = _("Scegli uno dei comuni dell'elenco.")
    choices = session_comune_choices(request)
    comuni = Municipality.objects.filter(pk__in=choices).order_by("name")
    context = {
        **admin.site.each_context(request),
        "title": _("Scegli il comune"),
        "comuni": comuni,
        "current_id": session_comune_id(request),
        "next": _next_url(request),
        "error": error,
    }
    return TemplateResponse(request, "accounts/comune_pick.html", context)
