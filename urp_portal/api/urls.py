"""/api/v1/: every app's API views, named here (the composition root), thin over their services.

Outside systems call exactly the paths of DESIGN.md's "API contract"."""

from django.urls import path, register_converter
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerSplitView,
)

from broadcasts.api.alerts import AlertApi, AlertConfirmApi
from broadcasts.api.campaigns import (
    CampaignApproveApi,
    CampaignCancelApi,
    CampaignCreateApi,
    CampaignDetailApi,
    CampaignPauseApi,
    CampaignResumeApi,
    CampaignScheduleApi,
    CampaignSendApi,
)
from broadcasts.api.templates import MessageTemplateListApi
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


class RowIdConverter:
    """A row's id in a path: 1 to 18 digits. A longer number is answered 404 by the router
    instead of overflowing the database's 64-bit integer (a 500 on SQLite and PostgreSQL)."""

    regex = "[0-9]{1,18}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)


register_converter(RowIdConverter, "id")

app_name = "api"

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's start-up script as a file: the page needs no inline
    # script, so the Content-Security-Policy stays strict.
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="api:schema"), name="redoc"),
    path("subscribers/", SubscriberLookupApi.as_view(), name="subscriber-lookup"),
    path("stats/", StatsApi.as_view(), name="stats"),
    path(
        "subscribers/<id:subscriber_id>/export/",
        SubscriberExportApi.as_view(),
        name="subscriber-export",
    ),
    path("services/", MunicipalServiceListApi.as_view(), name="service-list"),
    path("tickets/", TicketListApi.as_view(), name="ticket-list"),
    path("tickets/<id:ticket_id>/", TicketDetailApi.as_view(), name="ticket-detail"),
    path("tickets/<id:ticket_id>/reply/", TicketReplyApi.as_view(), name="ticket-reply"),
    path("tickets/<id:ticket_id>/forward/", TicketForwardApi.as_view(), name="ticket-forward"),
    path("tickets/<id:ticket_id>/resolve/", TicketResolveApi.as_view(), name="ticket-resolve"),
    path("tickets/<id:ticket_id>/assign/", TicketAssignApi.as_view(), name="ticket-assign"),
    path("templates/", MessageTemplateListApi.as_view(), name="template-list"),
    path("campaigns/", CampaignCreateApi.as_view(), name="campaign-create"),
    path("campaigns/<id:campaign_id>/", CampaignDetailApi.as_view(), name="campaign-detail"),
    path(
        "campaigns/<id:campaign_id>/approve/",
        CampaignApproveApi.as_view(),
        name="campaign-approve",
    ),
    path(
        "campaigns/<id:campaign_id>/schedule/",
        CampaignScheduleApi.as_view(),
        name="campaign-schedule",
    ),
    path("campaigns/<id:campaign_id>/send/", CampaignSendApi.as_view(), name="campaign-send"),
    path("campaigns/<id:campaign_id>/pause/", CampaignPauseApi.as_view(), name="campaign-pause"),
    path("campaigns/<id:campaign_id>/resume/", CampaignResumeApi.as_view(), name="campaign-resume"),
    path("campaigns/<id:campaign_id>/cancel/", CampaignCancelApi.as_view(), name="campaign-cancel"),
    path("alerts/", AlertApi.as_view(), name="alerts"),
    path("alerts/<id:alert_id>/confirm/", AlertConfirmApi.as_view(), name="alert-confirm"),
]
