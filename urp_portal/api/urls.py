"""/api/v1/: every app's API views, named here (the composition root), thin over their services.

Outside systems call exactly the paths of DESIGN.md's "API contract"."""

from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from subscribers.api import SubscriberLookupApi

from .stats import StatsApi

app_name = "api"

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="api:schema"), name="redoc"),
    path("subscribers/", SubscriberLookupApi.as_view(), name="subscriber-lookup"),
    path("stats/", StatsApi.as_view(), name="stats"),
]
