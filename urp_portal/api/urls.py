"""/api/v1/: every app's API views, named here (the composition root), thin over their services.

Outside systems call exactly the paths of DESIGN.md's "API contract"."""

from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from subscribers.api import SubscriberExportApi, SubscriberLookupApi
from tickets.api import (
    MunicipalServiceListApi,
    TicketAssignApi,
    TicketDetailApi,
    TicketForwardApi,
    TicketListApi,
    TicketReplyApi,
    TicketResolveApi,
)

from .stats import StatsApi

app_name = "api"

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="api:schema"), name="redoc"),
    path("subscribers/", SubscriberLookupApi.as_view(), name="subscriber-lookup"),
    path("stats/", StatsApi.as_view(), name="stats"),
    path(
        "subscribers/<int:subscriber_id>/export/",
        SubscriberExportApi.as_view(),
        name="subscriber-export",
    ),
    path("services/", MunicipalServiceListApi.as_view(), name="service-list"),
    path("tickets/", TicketListApi.as_view(), name="ticket-list"),
    path("tickets/<int:ticket_id>/", TicketDetailApi.as_view(), name="ticket-detail"),
    path("tickets/<int:ticket_id>/reply/", TicketReplyApi.as_view(), name="ticket-reply"),
    path("tickets/<int:ticket_id>/forward/", TicketForwardApi.as_view(), name="ticket-forward"),
    path("tickets/<int:ticket_id>/resolve/", TicketResolveApi.as_view(), name="ticket-resolve"),
    path("tickets/<int:ticket_id>/assign/", TicketAssignApi.as_view(), name="ticket-assign"),
]
