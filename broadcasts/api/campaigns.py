"""The API of the campaigns: create, read, and move through their states (approve, schedule,
send, pause, resume, cancel)."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from urp_portal.accounts.permissions import HasRole
from urp_portal.accounts.roles import Role
from urp_portal.api.idempotency import idempotent_write

from .. import services
from ..models import Campaign
from ..serializers import (
    CampaignCreateInputSerializer,
    CampaignScheduleInputSerializer,
    CampaignSerializer,
    EmptyInputSerializer,
)

_COUNTS = {"recipients": 0, "queued": 0, "sent": 0, "delivered": 0, "read": 0, "failed": 0}
_CAMPAIGN = {
    "id": 12,
    "title": "Chiusura di via Roma",
    "state": "draft",
    "template": 3,
    "parameters": ["Via Roma", "20:00"],
    "is_emergency": False,
    "scheduled_at": None,
    "started_at": None,
    "finished_at": None,
    "counts": _COUNTS,
}


def _campaign_example(name: str, **changes) -> OpenApiExample:
    return OpenApiExample(name, value={**_CAMPAIGN, **changes}, response_only=True)


class CampaignCreateApi(APIView):
    permission_classes = [HasRole(Role.COMMUNICATIONS)]

    @extend_schema(
        operation_id="campaigns_create",
        summary="Crea una campagna (bozza) / create a campaign (draft)",
        request=CampaignCreateInputSerializer,
        responses={201: CampaignSerializer},
        examples=[
            OpenApiExample(
                "per id",
                value={
                    "title": "Chiusura di via Roma",
                    "template": 3,
                    "parameters": ["Via Roma", "20:00"],
                },
                request_only=True,
            ),
            OpenApiExample(
                "per nome",
                value={
                    "title": "Chiusura di via Roma",
                    "template": "avviso_viabilita",
                    "parameters": ["Via Roma", "20:00"],
                },
                request_only=True,
            ),
            OpenApiExample("bozza", value=_CAMPAIGN, response_only=True, status_codes=["201"]),
        ],
    )
    @idempotent_write
    def post(self, request):
        body = CampaignCreateInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        campaign = services.campaign_create(
            title=body.validated_data["title"],
            template=body.validated_data["template"],
            parameters=body.validated_data.get("parameters", []),
            actor=request.user,
        )
        return Response(CampaignSerializer(campaign).data, status=status.HTTP_201_CREATED)


class CampaignDetailApi(APIView):
    permission_classes = [HasRole(Role.COMMUNICATIONS)]

    @extend_schema(
        operation_id="campaigns_retrieve",
        summary="Una campagna e il suo avanzamento / a campaign and its progress",
        responses=CampaignSerializer,
        examples=[
            _campaign_example(
                "in invio",
                state="sending",
                started_at="2025-03-05T10:00:00Z",
                counts={
                    "recipients": 780,
                    "queued": 200,
                    "sent": 120,
                    "delivered": 300,
                    "read": 150,
                    "failed": 10,
                },
            )
        ],
    )
    def get(self, request, campaign_id: int):
        campaign = get_object_or_404(Campaign.objects.select_related("template"), pk=campaign_id)
        return Response(CampaignSerializer(campaign).data)


class _CampaignActionApi(APIView):
    """A campaign's move: the service locks it, checks the move and writes the event. Each
    subclass's `post` (idempotent, documented) calls `respond`."""

    permission_classes = [HasRole(Role.COMMUNICATIONS)]
    success_status: int = status.HTTP_200_OK
    input_serializer: type = EmptyInputSerializer

    def act(self, campaign_id: int, actor, data: dict) -> Campaign:
        raise NotImplementedError

    def respond(self, request, campaign_id: int) -> Response:
        get_object_or_404(Campaign, pk=campaign_id)
        body = self.input_serializer(data=request.data)
        body.is_valid(raise_exception=True)
        campaign = self.act(campaign_id, request.user, body.validated_data)
        return Response(CampaignSerializer(campaign).data, status=self.success_status)


def _action_schema(
    operation_id: str,
    summary: str,
    state: str,
    *,
    request=EmptyInputSerializer,
    status_code: int = 200,
    request_examples: tuple = (),
    **changes,
):
    return extend_schema(
        operation_id=operation_id,
        summary=summary,
        request=request,
        responses={status_code: CampaignSerializer},
        examples=[
            *request_examples,
            OpenApiExample(
                state,
                value={**_CAMPAIGN, "state": state, **changes},
                response_only=True,
                status_codes=[str(status_code)],
            ),
        ],
    )


class CampaignApproveApi(_CampaignActionApi):
    def act(self, campaign_id, actor, data):
        return services.campaign_approve(campaign_id=campaign_id, actor=actor)

    @_action_schema("campaigns_approve", "Approva / approve", "approved")
    @idempotent_write
    def post(self, request, campaign_id: int):
        return self.respond(request, campaign_id)


class CampaignScheduleApi(_CampaignActionApi):
    """At `at` (with its time zone), or without it at the comune's next free broadcast slot.
    A normal campaign is never scheduled in the quiet hours (400 `quiet_hours`)."""

    input_serializer = CampaignScheduleInputSerializer

    def act(self, campaign_id, actor, data):
        return services.campaign_schedule(campaign_id=campaign_id, actor=actor, at=data.get("at"))

    @_action_schema(
        "campaigns_schedule",
        "Programma / schedule",
        "scheduled",
        request=CampaignScheduleInputSerializer,
        request_examples=(
            OpenApiExample("orario", value={"at": "2025-03-06T10:00:00+01:00"}, request_only=True),
            OpenApiExample("prossimo appuntamento", value={}, request_only=True),
        ),
        scheduled_at="2025-03-06T09:00:00Z",
    )
    @idempotent_write
    def post(self, request, campaign_id: int):
        return self.respond(request, campaign_id)


class CampaignSendApi(_CampaignActionApi):
    """Send an approved campaign now: 202, the workers hand it to WhatsApp in batches (follow
    `counts` on GET). In the quiet hours it is not sent: it is scheduled for their end (the
    answer's state says `scheduled`, with `scheduled_at`)."""

    success_status = status.HTTP_202_ACCEPTED

    def act(self, campaign_id, actor, data):
        return services.campaign_start(campaign_id=campaign_id, actor=actor)

    @_action_schema(
        "campaigns_send",
        "Invia ora / send now",
        "sending",
        status_code=202,
        started_at="2025-03-05T10:00:00Z",
    )
    @idempotent_write
    def post(self, request, campaign_id: int):
        return self.respond(request, campaign_id)


class CampaignPauseApi(_CampaignActionApi):
    def act(self, campaign_id, actor, data):
        return services.campaign_pause(campaign_id=campaign_id, actor=actor)

    @_action_schema("campaigns_pause", "Metti in pausa / pause", "paused")
    @idempotent_write
    def post(self, request, campaign_id: int):
        return self.respond(request, campaign_id)


class CampaignResumeApi(_CampaignActionApi):
    def act(self, campaign_id, actor, data):
        return services.campaign_resume(campaign_id=campaign_id, actor=actor)

    @_action_schema("campaigns_resume", "Riprendi / resume", "sending")
    @idempotent_write
    def post(self, request, campaign_id: int):
        return self.respond(request, campaign_id)


class CampaignCancelApi(_CampaignActionApi):
    def act(self, campaign_id, actor, data):
        return services.campaign_cancel(campaign_id=campaign_id, actor=actor)

    @_action_schema("campaigns_cancel", "Annulla / cancel", "cancelled")
    @idempotent_write
    def post(self, request, campaign_id: int):
        return self.respond(request, campaign_id)
