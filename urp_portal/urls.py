"""The composition root: the only module that names every app's URLs."""

from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

admin.site.site_header = _("URP Portal")
admin.site.site_title = _("URP Portal")
admin.site.index_title = _("Console dell'Ufficio Relazioni con il Pubblico")

urlpatterns = [
    path("admin/", admin.site.urls),
    path("webhooks/", include("urp_portal.gateway.urls")),
]
