"""The composition root: the only module that names every app's URLs."""

from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from django.views.generic import RedirectView

from tickets.admin.landing import login_landing_on_inbox
from urp_portal import health
from urp_portal.accounts import comune_views
from urp_portal.accounts.staff_views import index_with_staff_link
from urp_portal.municipality.admin_scope import recent_actions_of_the_session
from urp_portal.provider.access import index_with_provider_link, login_landing_on_health
from urp_portal.simulator.checks import simulator_enabled

admin.site.site_header = _("URP Portal")
admin.site.site_title = _("URP Portal")
admin.site.index_title = _("Console dell'Ufficio Relazioni con il Pubblico")
# The tickets' dashboard above the list of apps.
admin.site.index_template = "admin/urp_index.html"
# Operators and services' staff open on the inbox after signing in.
admin.site.login = login_landing_on_inbox(admin.site.login)  # type: ignore[method-assign]
# The provider's administrators open on the comuni's health, linked from the home page too.
admin.site.login = login_landing_on_health(admin.site.login)  # type: ignore[method-assign]
admin.site.index = index_with_provider_link(admin.site.index)  # type: ignore[method-assign,assignment]
# A comune's administrators find its staff page there too.
admin.site.index = index_with_staff_link(admin.site.index)  # type: ignore[method-assign,assignment]
# Its recent actions: the session's comune's only, as every history page (admin_scope.py).
admin.site.get_log_entries = recent_actions_of_the_session(admin.site.get_log_entries)  # type: ignore[method-assign,assignment]

urlpatterns = [
    # Whoever types only the server's address lands on the console (its sign-in page first).
    path("", RedirectView.as_view(pattern_name="admin:index"), name="home"),
    # The second step of signing in, before the admin's own catch-all.
    path("admin/2fa/", include("urp_portal.accounts.urls")),
    path("admin/comune/", comune_views.comune_pick, name="comune_pick"),
    # The comune's yearly and monthly figures (page, CSV, spreadsheet), in the console.
    path("admin/relazione/", include("urp_portal.reports.urls")),
    # A comune's administrators: who works for their comune, with which role.
    path("admin/personale/", include("urp_portal.accounts.staff_urls")),
    # The provider's administrators: the comuni, their numbers, their health.
    path("admin/fornitore/", include("urp_portal.provider.urls")),
    path("admin/", admin.site.urls),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("tickets/", include("tickets.urls")),
    # The accessibility statement (public) and the operator's guide.
    path("console/", include("urp_portal.conventions.urls")),
    path("api/v1/", include("urp_portal.api.urls")),
    path("webhooks/", include("urp_portal.gateway.urls")),
]

# The fake WhatsApp API and the citizen's phone: demo, tests and training only, never production.
if simulator_enabled():
    urlpatterns.append(path("simulator/", include("urp_portal.simulator.urls")))

# JSON errors under /api/ for what no view answers; the usual pages elsewhere.
handler404 = "urp_portal.api.errors.handler404"
handler500 = "urp_portal.api.errors.handler500"
