"""The tickets' API: thin views over the selectors (reads, scoped to the caller) and the services
(writes). A municipal service's token sees only the tickets forwarded to its service: any other
answers 404, as if it did not exist."""

from __future__ import annotations

from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from urp_portal.accounts.permissions import HasRole
from urp_portal.accounts.roles import Role
from urp_portal.api.idempotency import idempotent_write
from urp_portal.api.pagination import ApiCursorPagination, ApiPageNumberPagination
from urp_portal.municipality.errors import UserError

from . import services
from .models import MunicipalService, Ticket
from .selectors import (
    ticket_detail_get_for,
    ticket_get_for,
    ticket_list_filter,
    ticket_list_for,
    urp_user_get,
)
from .serializers import (
    MunicipalServiceSerializer,
    TicketAssignInputSerializer,
    TicketDetailSerializer,
    TicketForwardInputSerializer,
    TicketListQuerySerializer,
    TicketReplyInputSerializer,
    TicketResolveInputSerializer,
    TicketSerializer,
)

_TICKET = {
    "id": 42,
    "number": "#42",
    "state": "forwarded",
    "category": "information",
    "service": "tributi",
    "assignee": "m.rossi",
    "citizen": {"id": 7, "name": "Maria Rossi", "number": "+393331234567"},
    "opened_at": "2025-03-03T09:12:00Z",
    "due_at": "2025-03-05T16:00:00Z",
    "late": False,
    "first_response_at": "2025-03-03T09:40:00Z",
    "last_message_at": "2025-03-03T10:05:00Z",
    "resolved_at": None,
    "closed_at": None,
}
_TICKET_DETAIL = {
    **_TICKET,
    "messages": [
        {
            "id": 101,
            "origin": "citizen",
            "kind": "text",
            "text": "Buongiorno, quando scade la TARI?",
            "template_name": "",
            "author": None,
            "internal": False,
            "delivery": None,
            "at": "2025-03-03T09:12:00Z",
        },
        {
            "id": 102,
            "origin": "operator",
            "kind": "text",
            "text": "Buongiorno, giro la domanda all'ufficio Tributi.",
            "template_name": "",
            "author": "Mario Rossi",
            "internal": False,
            "delivery": "read",
            "at": "2025-03-03T09:40:00Z",
        },
        {
            "id": 103,
            "origin": "note",
            "kind": "text",
            "text": "Inoltrata a Tributi. Scadenza della prima rata?",
            "template_name": "",
            "author": "Mario Rossi",
            "internal": True,
            "delivery": None,
            "at": "2025-03-03T10:05:00Z",
        },
    ],
    "forwards": [
        {
            "service": "tributi",
            "note": "Scadenza della prima rata?",
            "at": "2025-03-03T10:05:00Z",
            "answer": "",
            "answered_at": None,
        }
    ],
}
_DETAIL_EXAMPLE = OpenApiExample("richiesta", value=_TICKET_DETAIL, response_only=True)


def _ticket_or_404(request, ticket_id: int) -> Ticket:
    ticket = ticket_get_for(user=request.user, ticket_id=ticket_id)
    if ticket is None:
        raise Http404(_("Richiesta non trovata."))
    return ticket


def _detail_response(request, ticket_id: int) -> Response:
    ticket = ticket_detail_get_for(user=request.user, ticket_id=ticket_id)
    if ticket is None:
        # Acted on, then no longer visible to the caller: it went well, there is nothing to show.
        raise Http404(_("Richiesta non trovata."))
    return Response(TicketDetailSerializer(ticket).data)


class TicketListApi(ListAPIView):
    """The tickets the caller may see, newest first: all of them for the URP, those forwarded
    to its service for a municipal service's token."""

    permission_classes = [HasRole(Role.OPERATOR, Role.SERVICE)]
    serializer_class = TicketSerializer
    pagination_class = ApiCursorPagination

    def get_queryset(self):
        query = TicketListQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        tickets = ticket_list_filter(
            tickets=ticket_list_for(user=self.request.user),
            state=query.validated_data.get("state", ""),
            service_slug=query.validated_data.get("service", ""),
            q=query.validated_data.get("q", ""),
        )
        return tickets.select_related("subscriber", "service", "assignee")

    @extend_schema(
        operation_id="tickets_list",
        summary="Elenco delle richieste / list the tickets",
        parameters=[TicketListQuerySerializer],
        examples=[
            OpenApiExample(
                "richieste",
                value={"results": [_TICKET], "next": None},
                response_only=True,
            )
        ],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class TicketDetailApi(APIView):
    permission_classes = [HasRole(Role.OPERATOR, Role.SERVICE)]

    @extend_schema(
        operation_id="tickets_retrieve",
        summary="Una richiesta con i suoi messaggi / a ticket with its messages",
        responses=TicketDetailSerializer,
        examples=[_DETAIL_EXAMPLE],
    )
    def get(self, request, ticket_id: int):
        return _detail_response(request, ticket_id)


class TicketReplyApi(APIView):
    """The URP answers the citizen: `{text}` within 24 hours of the citizen's last message,
    `{template, parameters}` (an approved WhatsApp template, by name) outside it.

    A municipal service's token answers a ticket forwarded to it with `{text}`: the answer goes
    back to the URP (state `answered_by_service`), which reads it and answers the citizen; it is
    never sent to the citizen from here."""

    permission_classes = [HasRole(Role.OPERATOR, Role.SERVICE)]

    @extend_schema(
        operation_id="tickets_reply",
        summary="Rispondi / reply",
        request=TicketReplyInputSerializer,
        responses=TicketDetailSerializer,
        examples=[
            OpenApiExample(
                "testo",
                value={"text": "Buongiorno, la TARI scade il 16 maggio."},
                request_only=True,
            ),
            OpenApiExample(
                "modello",
                value={"template": "risposta_urp", "parameters": ["Maria", "#42"]},
                request_only=True,
            ),
            _DETAIL_EXAMPLE,
        ],
    )
    @idempotent_write
    def post(self, request, ticket_id: int):
        ticket = _ticket_or_404(request, ticket_id)
        body = TicketReplyInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.ticket_respond(
            ticket=ticket,
            actor=request.user,
            text=body.validated_data["text"],
            template_name=body.validated_data["template"],
            template_parameters=body.validated_data["parameters"],
        )
        return _detail_response(request, ticket_id)


class TicketForwardApi(APIView):
    """Send the ticket to the competent municipal service (by slug), with a note for it; its
    staff are emailed a link, and its token sees the ticket from now on."""

    permission_classes = [HasRole(Role.OPERATOR)]

    @extend_schema(
        operation_id="tickets_forward",
        summary="Inoltra a un servizio / forward to a service",
        request=TicketForwardInputSerializer,
        responses=TicketDetailSerializer,
        examples=[
            OpenApiExample(
                "inoltro",
                value={"service": "tributi", "note": "Scadenza della prima rata?"},
                request_only=True,
            ),
            _DETAIL_EXAMPLE,
        ],
    )
    @idempotent_write
    def post(self, request, ticket_id: int):
        ticket = _ticket_or_404(request, ticket_id)
        body = TicketForwardInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.ticket_forward(
            ticket=ticket,
            service=body.validated_data["service"],
            note=body.validated_data["note"],
            actor=request.user,
            site_url=request.build_absolute_uri("/"),
        )
        return _detail_response(request, ticket_id)


class TicketResolveApi(APIView):
    permission_classes = [HasRole(Role.OPERATOR)]

    @extend_schema(
        operation_id="tickets_resolve",
        summary="Segna come risolta / resolve",
        request=TicketResolveInputSerializer,
        responses=TicketDetailSerializer,
        examples=[OpenApiExample("vuoto", value={}, request_only=True), _DETAIL_EXAMPLE],
    )
    @idempotent_write
    def post(self, request, ticket_id: int):
        ticket = _ticket_or_404(request, ticket_id)
        TicketResolveInputSerializer(data=request.data).is_valid(raise_exception=True)
        services.ticket_resolve(ticket=ticket, actor=request.user)
        return _detail_response(request, ticket_id)


class TicketAssignApi(APIView):
    """Give the ticket to an operator of the URP (by username), or take it from whoever has it
    (`null`). A new ticket becomes "in lavorazione"."""

    permission_classes = [HasRole(Role.OPERATOR)]

    @extend_schema(
        operation_id="tickets_assign",
        summary="Assegna a un operatore / assign to an operator",
        request=TicketAssignInputSerializer,
        responses=TicketDetailSerializer,
        examples=[
            OpenApiExample("assegna", value={"assignee": "m.rossi"}, request_only=True),
            OpenApiExample("togli", value={"assignee": None}, request_only=True),
            _DETAIL_EXAMPLE,
        ],
    )
    @idempotent_write
    def post(self, request, ticket_id: int):
        ticket = _ticket_or_404(request, ticket_id)
        body = TicketAssignInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        username = body.validated_data["assignee"]
        assignee = None
        if username is not None:
            assignee = urp_user_get(username=username)
            if assignee is None:
                raise UserError(
                    _("Nessun operatore dell'URP attivo ha il nome utente «%(username)s».")
                    % {"username": username},
                    code="unknown_assignee",
                )
        services.ticket_assign(ticket=ticket, assignee=assignee, actor=request.user)
        return _detail_response(request, ticket_id)


class MunicipalServiceListApi(ListAPIView):
    """The comune's active municipal services, to forward to by slug."""

    permission_classes = [HasRole(Role.OPERATOR, Role.SERVICE, Role.COMMUNICATIONS)]
    serializer_class = MunicipalServiceSerializer
    pagination_class = ApiPageNumberPagination

    def get_queryset(self):
        # Per request, in its comune's scope (a class attribute is built at import).
        return MunicipalService.objects.filter(is_active=True).order_by("name", "pk")

    @extend_schema(
        operation_id="services_list",
        summary="I servizi comunali / the municipal services",
        examples=[
            OpenApiExample(
                "servizi",
                value={
                    "count": 2,
                    "next": None,
                    "previous": None,
                    "results": [
                        {"slug": "anagrafe", "name": "Anagrafe"},
                        {"slug": "tributi", "name": "Tributi"},
                    ],
                },
                response_only=True,
            )
        ],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)
