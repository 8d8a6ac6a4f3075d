"""/api/v1/: every app's API views, named here (the composition root), thin over their services.

Outside systems call exactly the paths of DESIGN.md's "API contract"."""

from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from broadcasts.api import (
    AlertApi,
    CampaignApproveApi,
    CampaignCancelApi,
    CampaignCreateApi,
    CampaignDetailApi,
    CampaignPauseApi,
    CampaignResumeApi,
    CampaignScheduleApi,
    CampaignSendApi,
    MessageTemplateListApi,
)
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
    path("templates/", MessageTemplateListApi.as_view(), name="template-list"),
    path("campaigns/", CampaignCreateApi.as_view(), name="campaign-create"),
    path("campaigns/<int:campaign_id>/", CampaignDetailApi.as_view(), name="campaign-detail"),
    path(
        "campaigns/<int:campaign_id>/approve/",
        CampaignApproveApi.as_view(),
        name="campaign-approve",
    ),
    path(
        "campaigns/<int:campaign_id>/schedule/",
        CampaignScheduleApi.as_view(),
        name="campaign-schedule",
    ),
    path("campaigns/<int:campaign_id>/send/", CampaignSendApi.as_view(), name="campaign-send"),
    path("campaigns/<int:campaign_id>/pause/", CampaignPauseApi.as_view(), name="campaign-pause"),
    path(
        "campaigns/<int:campaign_id>/resume/", CampaignResumeApi.as_view(), name="campaign-resume"
    ),
    path(
        "campaigns/<int:campaign_id>/cancel/", CampaignCancelApi.as_view(), name="campaign-cancel"
    ),
    path("alerts/", AlertApi.as_view(), name="alerts"),
]
