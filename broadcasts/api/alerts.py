"""The API of the emergency alerts: one created, then confirmed by a second person or system."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import status
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from urp_portal.api.idempotency import idempotent_write

from .. import services
from ..models import Campaign
from ..serializers import AlertInputSerializer, AlertSerializer, EmptyInputSerializer


class HasEmergencyPermission(BasePermission):
    """The emergency permission, held by a console user's groups or by a token's role."""

    message = "Il tuo ruolo non consente di inviare avvisi di emergenza."
    code = "role_not_allowed"

    def has_permission(self, request, view) -> bool:
        return request.user.has_perm("broadcasts.send_emergency_alert")


class AlertApi(APIView):
    """An emergency alert to every subscriber. It waits for a second person or another system
    with the emergency permission to confirm it (`POST /api/v1/alerts/{id}/confirm/`), then goes
    at once, even in the quiet hours, first in the queue; only the system named in the comune's
    configuration (the civil protection's) sends alone, and that is recorded in the audit
    trail. Needs the emergency permission (the communications office and administrators by
    default). Send an `Idempotency-Key`: a retry after a timeout then creates nothing twice."""

    permission_classes = [HasEmergencyPermission]

    @extend_schema(
        operation_id="alerts_create",
        summary="Avviso di emergenza / emergency alert",
        request=AlertInputSerializer,
        responses={201: AlertSerializer},
        examples=[
            OpenApiExample(
                "allerta meteo",
                value={"template": "allerta_meteo", "parameters": ["rossa", "domani"]},
                request_only=True,
            ),
            OpenApiExample(
                "in attesa di conferma",
                value={
                    "id": 13,
                    "state": "draft",
                    "title": "Avviso di emergenza del 05/03/2025 10:00",
                    "started_at": None,
                },
                response_only=True,
                status_codes=["201"],
            ),
        ],
    )
    @idempotent_write
    def post(self, request):
        body = AlertInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        campaign = services.alert_create(
            template=body.validated_data["template"],
            parameters=body.validated_data.get("parameters", []),
            title=body.validated_data.get("title", ""),
            actor=request.user,
        )
        return Response(AlertSerializer(campaign).data, status=status.HTTP_201_CREATED)


class AlertConfirmApi(APIView):
    """The second pair of eyes: a person or a system other than the alert's author, with the
    emergency permission, confirms it; it goes at once (202). The author itself: 400
    `two_person_rule`; an alert no longer waiting: 409 `alert_not_waiting`."""

    permission_classes = [HasEmergencyPermission]

    @extend_schema(
        operation_id="alerts_confirm",
        summary="Conferma un avviso / confirm an alert",
        request=EmptyInputSerializer,
        responses={202: AlertSerializer},
        examples=[
            OpenApiExample(
                "confermato",
                value={
                    "id": 13,
                    "state": "sending",
                    "title": "Avviso di emergenza del 05/03/2025 10:00",
                    "started_at": "2025-03-05T09:01:00Z",
                },
                response_only=True,
                status_codes=["202"],
            ),
        ],
    )
    @idempotent_write
    def post(self, request, alert_id: int):
        get_object_or_404(Campaign, pk=alert_id, is_emergency=True)
        campaign = services.alert_confirm(campaign_id=alert_id, actor=request.user)
        return Response(AlertSerializer(campaign).data, status=status.HTTP_202_ACCEPTED)
