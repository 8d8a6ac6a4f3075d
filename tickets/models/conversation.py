"""The conversation with a citizen: the ticket, its messages, its search row and its history."""

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from urp_portal.gateway.models import InboundMessage, OutboundMessage
from urp_portal.gateway.states import MessageKind
from urp_portal.municipality.scope import (
    AllComuniManager,
    ComuneScopedManager,
    comune_owner_field,
)

from ..states import (
    ClosingReason,
    ElsewhereKind,
    MessageOrigin,
    TicketCategory,
    TicketEventKind,
    TicketState,
)


class MunicipalService(models.Model):
    """A competent office of the comune (Anagrafe, Tributi, ...) that the URP forwards to."""

    # Each comune has its own offices; their codes are unique within the comune (two comuni
    # both have an "anagrafe"). Empty: the active comune's.
    comune = comune_owner_field(db_index=False)
    slug = models.SlugField(_("codice"))
    name = models.CharField(_("nome"), max_length=120)
    email = models.EmailField(_("email"), blank=True)
    staff = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("personale"),
        blank=True,
        related_name="municipal_services",
        help_text=_("Vedono solo le richieste inoltrate a questo servizio."),
    )
    is_active = models.BooleanField(_("attivo"), default=True)

    objects = ComuneScopedManager()
    all_comuni = AllComuniManager()

    class Meta:
        verbose_name = _("servizio comunale")
        verbose_name_plural = _("servizi comunali")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["comune", "slug"], name="service_slug_once"),
            # The active comune's rows with no comune among themselves, as the old unique slug.
            models.UniqueConstraint(
                fields=["slug"], condition=Q(comune__isnull=True), name="service_slug_once_unowned"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Ticket(models.Model):
    """One conversation with a citizen about one request, from the first message to its close."""

    # The comune it belongs to, its citizen's (what hangs off the ticket, its messages, events
    # and forwards, is the comune's through it). Empty: the active comune's (rows from before
    # the tenancy; municipality/scope.py owned_by).
    comune = comune_owner_field()
    subscriber = models.ForeignKey(
        "subscribers.Subscriber",
        on_delete=models.PROTECT,
        related_name="tickets",
        verbose_name=_("cittadino"),
    )
    state = models.CharField(
        _("stato"),
        max_length=20,
        choices=TicketState.choices,
        default=TicketState.NEW,
        db_index=True,
    )
    category = models.CharField(
        _("categoria"), max_length=20, choices=TicketCategory.choices, blank=True
    )
    service = models.ForeignKey(
        MunicipalService,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tickets",
        verbose_name=_("servizio competente"),
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_tickets",
        verbose_name=_("operatore"),
    )
    opened_at = models.DateTimeField(_("aperta il"), db_index=True)
    # The end of the N-th working day after the first message (the comune's setting).
    due_at = models.DateTimeField(_("scadenza"), db_index=True)
    first_response_at = models.DateTimeField(_("prima risposta"), null=True, blank=True)
    last_inbound_at = models.DateTimeField(_("ultimo messaggio del cittadino"), null=True)
    last_message_at = models.DateTimeField(_("ultimo messaggio"), db_index=True)
    resolved_at = models.DateTimeField(_("risolta il"), null=True, blank=True)
    closed_at = models.DateTimeField(_("chiusa il"), null=True, blank=True)
    closing_reason = models.CharField(
        _("motivo della chiusura"), max_length=20, choices=ClosingReason.choices, blank=True
    )
    # Out of hours: the first message came while the URP was closed...
    opened_out_of_hours = models.BooleanField(_("aperta fuori orario"), default=False)
    # ...and the next opening of the closed period whose out-of-hours reply was sent: one reply
    # per conversation per closed period, however many messages arrive in it.
    out_of_hours_replied_for = models.DateTimeField(null=True, blank=True, editable=False)
    # The operators were warned that the deadline is near; once per ticket.
    deadline_warned_at = models.DateTimeField(null=True, blank=True, editable=False)
    # The citizen's messages no operator has seen yet: counted up as they arrive, back to zero
    # when someone at the URP (or the service it is forwarded to) opens the conversation.
    unread_count = models.PositiveIntegerField(_("messaggi non letti"), default=0)
    # Late: when the last reminder went, and how many (1: the assignee; then the URP's head
    # too, once per working day while it stays late).
    escalated_at = models.DateTimeField(null=True, blank=True, editable=False)
    escalations = models.PositiveSmallIntegerField(default=0, editable=False)
    # A rule says the request belongs to another channel; the operator decides (one click).
    suggested_elsewhere = models.CharField(
        _("per altri canali"), max_length=20, choices=ElsewhereKind.choices, blank=True
    )

    objects = ComuneScopedManager()
    all_comuni = AllComuniManager()

    class Meta:
        verbose_name = _("richiesta")
        verbose_name_plural = _("richieste")
        ordering = ["-last_message_at"]
        constraints = [
            # A citizen's new message joins the ticket still open: there is only ever one.
            models.UniqueConstraint(
                fields=["subscriber"],
                condition=~Q(state__in=TicketState.finished()),
                name="ticket_one_open_per_subscriber",
            ),
            models.CheckConstraint(
                condition=Q(closing_reason="") | Q(state=TicketState.CLOSED),
                name="ticket_closing_reason_only_when_closed",
            ),
        ]
        indexes = [
            models.Index(fields=["state", "due_at"], name="ticket_state_due"),
            # The inbox reads each of its groups (late, new, at work, done) in deadline order
            # straight from an index, never sorting the whole table (admin/changelist.py): the
            # unfinished tickets, a fifth of a year's work, and the finished ones apart. The state
            # in the first lets the inbox count its groups from the index alone.
            models.Index(
                fields=["due_at", "state"],
                condition=Q(state__in=TicketState.unfinished()),
                name="ticket_unfinished_due",
            ),
            models.Index(
                fields=["due_at"],
                condition=Q(state__in=TicketState.finished()),
                name="ticket_finished_due",
            ),
            # The few tickets with a citizen's message nobody has seen: the inbox's top group and
            # the count in each console's title, read on every poll (tickets/live.py).
            models.Index(
                fields=["due_at", "assignee"],
                condition=Q(unread_count__gt=0),
                name="ticket_unread_due",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk}"

    @property
    def number(self) -> str:
        return f"#{self.pk}"


class Message(models.Model):
    """The whole chat with the citizen, both ways, in order, plus the staff's internal notes."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="messages")
    origin = models.CharField(_("da"), max_length=12, choices=MessageOrigin.choices)
    kind = models.CharField(
        _("tipo"), max_length=12, choices=MessageKind.choices, default=MessageKind.TEXT
    )
    text = models.TextField(_("testo"), blank=True)
    # A citizen's message: its media (downloaded by the gateway) is read from here.
    inbound = models.OneToOneField(
        InboundMessage,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="ticket_message",
    )
    # Our message: its delivery ticks are read from the outbox row.
    outbound = models.ForeignKey(
        OutboundMessage,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="ticket_messages",
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="ticket_messages",
        verbose_name=_("autore"),
    )
    # Who wrote it when no console account did: "API: <token name>" for one of the comune's
    # systems (a token has no user to point to).
    author_label = models.CharField(_("autore (sistema)"), max_length=150, blank=True)
    template_name = models.CharField(_("modello"), max_length=200, blank=True)
    at = models.DateTimeField(_("ora"), db_index=True)
    # Written by the moderation app (which stands on tickets, never the other way): why its
    # screening flagged this citizen's message, shown to operators as a badge.
    moderation_note = models.TextField(_("segnalazione della moderazione"), blank=True)
    # Removed by a moderator: hidden from the operators' views and from exports (selectors), kept
    # in the database as evidence; a moderator may restore it.
    removed_at = models.DateTimeField(_("rimosso il"), null=True, blank=True)
    # What the citizen did to this bubble afterwards, in WhatsApp: reacted to it (the emoji; a
    # reaction taken back empties it), edited it (the text here is the new one; the original
    # stays in the gateway's InboundMessage for the record), deleted it.
    reaction = models.CharField(_("reazione del cittadino"), max_length=32, blank=True)
    edited_at = models.DateTimeField(_("modificato il"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("eliminato dal cittadino il"), null=True, blank=True)

    # The comune's through its ticket (forward relations such as message.ticket are never
    # filtered: the base manager reads them).
    objects = ComuneScopedManager("ticket__comune")
    all_comuni = AllComuniManager()

    class Meta:
        verbose_name = _("messaggio")
        verbose_name_plural = _("messaggi")
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["ticket", "at"], name="ticket_message_order")]

    def __str__(self) -> str:
        return f"{self.ticket} {self.get_origin_display()} {self.at:%d/%m %H:%M}"

    @property
    def is_internal(self) -> bool:
        return self.origin == MessageOrigin.NOTE or (
            self.origin == MessageOrigin.SERVICE and self.outbound_id is None
        )


# About 15,000 words: far beyond a real chat, and a document well under a tsvector's 1 MB.
SEARCHED_CHARACTERS = 100_000


class TicketSearch(models.Model):
    """The words of a ticket's chat, for the inbox's search: one row per ticket with a message.

    Written only by PostgreSQL's triggers on the messages (migration 0007), whatever writes them:
    the inbound pipeline, a reply, a bulk update (a moderator's removal, an erasure). It is its
    own table, not a column of Ticket, so that no ticket saved from memory writes back a stale
    copy and no list of tickets carries it. Empty on other databases, which search the messages.
    """

    ticket = models.OneToOneField(
        Ticket, primary_key=True, on_delete=models.CASCADE, related_name="search"
    )
    # Every word of the visible messages (not those removed by a moderator), lower case and
    # without accents, with its positions (text search configuration "tickets_search").
    document = SearchVectorField()
    # How much of the chat's text the document holds: the first SEARCHED_CHARACTERS only, so that
    # it stays below PostgreSQL's 1 MB for a tsvector and no message is ever refused for its sake.
    characters = models.PositiveIntegerField(default=0)

    # Its GIN index, like the triggers, exists on PostgreSQL only (migration 0007).

    class Meta:
        verbose_name = _("testo cercabile")
        verbose_name_plural = _("testi cercabili")

    def __str__(self) -> str:
        return f"#{self.ticket_id}"


class TicketEvent(models.Model):
    """The ticket's history: who did what, when, from which state to which, and why."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("tipo"), max_length=20, choices=TicketEventKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("chi"),
    )
    # Who acted when no console account did: "API: <token name>".
    actor_label = models.CharField(_("chi (sistema)"), max_length=150, blank=True)
    at = models.DateTimeField(_("quando"), db_index=True)
    from_state = models.CharField(_("da"), max_length=20, choices=TicketState.choices, blank=True)
    to_state = models.CharField(_("a"), max_length=20, choices=TicketState.choices, blank=True)
    reason = models.TextField(_("perché"), blank=True)

    objects = ComuneScopedManager("ticket__comune")
    all_comuni = AllComuniManager()

    class Meta:
        verbose_name = _("evento")
        verbose_name_plural = _("storia")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.ticket} {self.get_kind_display()} {self.at:%d/%m %H:%M}"
