"""The API of the WhatsApp message templates: the list, and a new template submitted for review."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import status
from rest_framework.generics import ListAPIView
from rest_framework.response import Response

from urp_portal.accounts.permissions import HasRole
from urp_portal.accounts.roles import Role
from urp_portal.api.idempotency import idempotent_write
from urp_portal.api.pagination import ApiPageNumberPagination

from .. import services
from ..models import MessageTemplate
from ..serializers import MessageTemplateSerializer

_TEMPLATE = {
    "id": 3,
    "name": "avviso_viabilita",
    "language": "it",
    "category": "utility",
    "body": "Avviso del Comune: {{1}} chiusa dalle {{2}}.",
    "approval_status": "approved",
    "parameter_count": 2,
    "rejection_reason": "",
    "created_at": "2025-03-01T09:00:00Z",
}


class MessageTemplateListApi(ListAPIView):
    """The WhatsApp message templates; a new one is a draft unless an administrator says it was
    approved outside the product (`approval_status`)."""

    serializer_class = MessageTemplateSerializer
    pagination_class = ApiPageNumberPagination

    def get_queryset(self):
        # Per request, not at import: the default manager reads the request's comune's only.
        return MessageTemplate.objects.order_by("name", "language", "pk")

    def get_permissions(self):
        # Operators read them (a reply outside the 24 hours needs one); communications write.
        roles = (
            (Role.OPERATOR, Role.COMMUNICATIONS)
            if self.request.method == "GET"
            else (Role.COMMUNICATIONS,)
        )
        return [HasRole(*roles)()]

    @extend_schema(
        operation_id="templates_list",
        summary="I modelli di messaggio / message templates",
        examples=[
            OpenApiExample(
                "modelli",
                value={"count": 1, "next": None, "previous": None, "results": [_TEMPLATE]},
                response_only=True,
            )
        ],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        operation_id="templates_create",
        summary="Crea un modello / create a template",
        request=MessageTemplateSerializer,
        responses={201: MessageTemplateSerializer},
        examples=[
            OpenApiExample(
                "modello",
                value={
                    "name": "avviso_viabilita",
                    "language": "it",
                    "category": "utility",
                    "body": "Avviso del Comune: {{1}} chiusa dalle {{2}}.",
                    "approval_status": "approved",
                },
                request_only=True,
            ),
            OpenApiExample("creato", value=_TEMPLATE, response_only=True, status_codes=["201"]),
        ],
    )
    @idempotent_write
    def post(self, request):
        body = MessageTemplateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        template = services.message_template_create(actor=request.user, **body.validated_data)
        return Response(MessageTemplateSerializer(template).data, status=status.HTTP_201_CREATED)
