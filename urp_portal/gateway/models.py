from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from urp_portal.municipality.scope import comune_owner_field

from .states import InboundState, MessageKind, OutboundState


class WebhookEvent(models.Model):
    """A webhook body exactly as it arrived, stored before anything else happens."""

    class State(models.TextChoices):
        RECEIVED = "received", _("ricevuto")
        PROCESSED = "processed", _("elaborato")
        # Not the gateway's format: kept for inspection, never processed.
        REJECTED = "rejected", _("rifiutato")
        FAILED = "failed", _("errore di elaborazione")
        # Addressed to a phone number id that is not ours: kept and logged, never processed.
        IGNORED = "ignored", _("non per questo numero")

    gateway = models.CharField(_("gateway"), max_length=20)
    # SHA-256 of the raw body: the same delivery posted twice is one event.
    body_sha256 = models.CharField(max_length=64)
    body = models.BinaryField(_("corpo grezzo"))
    content_type = models.CharField(max_length=100, blank=True)
    state = models.CharField(
        _("stato"), max_length=12, choices=State.choices, default=State.RECEIVED
    )
    error = models.TextField(_("errore"), blank=True)
    received_at = models.DateTimeField(_("ricevuto il"), auto_now_add=True, db_index=True)
    processed_at = models.DateTimeField(_("elaborato il"), null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    # The comune of the number the body was for, recorded by the worker when it routes the event
    # (never by the webhook's request, which only stores the body). Empty: not routed (a number
    # not ours, a template update, a body for numbers of two comuni, a deployment of one comune,
    # an event from before the tenancy). A citizen's erasure blanks the bodies of the citizen's
    # comune only; a comune's staff see its own events, the unrouted ones only the superusers
    # and the provider's administrators (admin.py).
    comune = comune_owner_field(db_index=False)

    class Meta:
        verbose_name = _("evento webhook")
        verbose_name_plural = _("eventi webhook")
        ordering = ["-received_at"]
        constraints = [
            models.UniqueConstraint(fields=["gateway", "body_sha256"], name="webhook_event_once"),
        ]
        # The events still waiting, oldest first (the sweep, the backlog on /readyz): a few
        # rows, where received_at's own index would walk past every processed one.
        indexes = [
            models.Index(
                fields=["received_at"], name="webhook_event_waiting", condition=Q(state="received")
            ),
            # A comune's events, newest first (its admin list) and those since a date (a
            # citizen's erasure reads its comune's bodies received since their first message).
            models.Index(fields=["comune", "received_at"], name="webhook_event_comune_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.gateway} {self.received_at:%Y-%m-%d %H:%M:%S}"


class InboundMessage(models.Model):
    """A citizen's message as the gateway understood it, stored once per provider id."""

    provider_id = models.CharField(_("id del gateway"), max_length=200, unique=True)
    event = models.ForeignKey(
        WebhookEvent, null=True, blank=True, on_delete=models.SET_NULL, related_name="messages"
    )
    # E.164 with "+" when WhatsApp gives the number (wa_id); otherwise the username-based user id.
    sender = models.CharField(_("mittente"), max_length=100, db_index=True)
    sender_user_id = models.CharField(_("user id WhatsApp"), max_length=100, blank=True)
    profile_name = models.CharField(_("nome del profilo"), max_length=200, blank=True)
    sent_at = models.DateTimeField(_("inviato il"))
    kind = models.CharField(_("tipo"), max_length=12, choices=MessageKind.choices)
    text = models.TextField(_("testo"), blank=True)
    media_id = models.CharField(max_length=200, blank=True)
    media_mime_type = models.CharField(max_length=100, blank=True)
    media_filename = models.CharField(max_length=255, blank=True)
    # The downloaded media, in Django's storage, once the download task fetched it.
    media_file = models.FileField(upload_to="inbound/%Y/%m/", blank=True)
    reply_to_provider_id = models.CharField(max_length=200, blank=True)
    # Location, reaction, button payloads and errors, as parsed.
    extra = models.JSONField(default=dict, blank=True)
    state = models.CharField(
        _("stato"), max_length=12, choices=InboundState.choices, default=InboundState.RECEIVED
    )
    handled_by = models.CharField(_("gestito da"), max_length=120, blank=True)
    received_at = models.DateTimeField(_("ricevuto il"), auto_now_add=True)
    # The comune whose number it was written to (routed by phone number id). Empty: the active
    # comune's (rows from before the tenancy). Indexed with received_at (Meta.indexes).
    comune = comune_owner_field(db_index=False)

    class Meta:
        verbose_name = _("messaggio ricevuto")
        verbose_name_plural = _("messaggi ricevuti")
        ordering = ["-sent_at"]
        indexes = [
            models.Index(fields=["sender", "-sent_at"], name="inbound_sender_recent"),
            # The messages not through the pipeline yet (the sweep, the backlog): a few rows.
            models.Index(
                fields=["received_at"], name="inbound_waiting", condition=Q(state="received")
            ),
            # Each comune's last message received (the provider's health page: one backward
            # step of this index per comune, provider/health.py), and a comune's recent ones.
            models.Index(fields=["comune", "received_at"], name="inbound_comune_received"),
        ]

    def __str__(self) -> str:
        return f"{self.sender} {self.get_kind_display()}"

    @property
    def has_media(self) -> bool:
        return self.kind in MessageKind.media_kinds()


class OutboundMessage(models.Model):
    """The outbox: every message we send, written in the transaction of the change that causes
    it, sent by a task after commit."""

    # Indexed in Meta (exact lookups: erasure, export), without the LIKE index db_index adds.
    to = models.CharField(_("destinatario"), max_length=100)
    # Free text (only within 24 hours of the citizen's last message) or an approved template.
    text = models.TextField(_("testo"), blank=True)
    template_name = models.CharField(_("modello"), max_length=200, blank=True)
    template_language = models.CharField(max_length=10, blank=True, default="it")
    template_parameters = models.JSONField(default=list, blank=True)
    # The template's category when the message was written: Meta routes marketing templates
    # through /marketing_messages and prices each category differently.
    template_category = models.CharField(max_length=20, blank=True)
    # The provider's own id of the template where it sends by id (Twilio's Content SID).
    template_provider_id = models.CharField(max_length=200, blank=True)
    # When a template left for a citizen outside their 24-hour window: such messages count
    # against the portfolio's messaging limit (unique citizens per rolling 24 hours). Empty for
    # everything else.
    reach_counted_at = models.DateTimeField(null=True, blank=True, editable=False)
    media_url = models.URLField(_("allegato (URL)"), blank=True, max_length=1000)
    media_file = models.FileField(upload_to="outbound/%Y/%m/", blank=True)
    # Reply buttons of an interactive message (at most three: [{"id": ..., "title": ...}]);
    # `text` is its body. Sent only inside the 24-hour window, like free text.
    buttons = models.JSONField(_("pulsanti"), default=list, blank=True)
    # What caused it, for the admin and the statistics ("reply", "welcome", "broadcast", ...).
    purpose = models.CharField(_("motivo"), max_length=40)
    # The end of the 24-hour window as known when the message was written (free text only).
    window_closes_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Higher goes first: emergency alerts overtake a broadcast being sent.
    priority = models.PositiveSmallIntegerField(default=5)
    # The comune that writes: the message leaves from its number with its token. Empty: the
    # deployment's own number (WHATSAPP_*). Not indexed: a broadcast inserts 100,000 rows; and
    # no foreign-key constraint in the database for the same reason: its check, row by row,
    # was 1.7 of the 11.6 s of planning 100,000 recipients under EXPLAIN ANALYZE (benchmarks/
    # results/many_comuni.txt). Every writer takes the id from a comune it loaded; deleting a
    # comune with messages is still refused (PROTECT, by Django).
    comune = comune_owner_field(db_index=False, db_constraint=False)

    state = models.CharField(
        _("stato"), max_length=12, choices=OutboundState.choices, default=OutboundState.QUEUED
    )
    provider_id = models.CharField(_("id del gateway"), max_length=200, blank=True)
    error_code = models.CharField(_("codice di errore"), max_length=20, blank=True)
    error_message = models.TextField(_("errore"), blank=True)
    attempts = models.PositiveIntegerField(_("tentativi"), default=0)
    # Set when a worker died while this message was in flight: it may have been sent or not.
    needs_review = models.BooleanField(_("da verificare"), default=False)
    # While a retry or a paced send is scheduled for later, the sweep leaves the row alone.
    not_before = models.DateTimeField(null=True, blank=True)

    created_at = models.DateTimeField(_("creato il"), auto_now_add=True)
    sending_started_at = models.DateTimeField(null=True, blank=True)
    # The worker process (WorkerLife.name) that claimed it: if that worker dies, its `sending`
    # rows are found within seconds (gateway/services/recovery.py).
    held_by = models.CharField(max_length=80, blank=True, default="")
    sent_at = models.DateTimeField(_("inviato il"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("consegnato il"), null=True, blank=True)
    read_at = models.DateTimeField(_("letto il"), null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)

    # What WhatsApp's statuses say the message costs (their `pricing` object): the category it
    # is billed as ("marketing", "utility", "authentication", "service", ...), the type of price
    # ("regular", "free_customer_service", "free_entry_point"), the model ("PMP") and the
    # deprecated `billable` flag. The cost reports read `pricing_category`.
    pricing_category = models.CharField(_("categoria di prezzo"), max_length=40, blank=True)
    pricing_type = models.CharField(_("tipo di prezzo"), max_length=40, blank=True)
    pricing_model = models.CharField(max_length=20, blank=True)
    billable = models.BooleanField(_("a pagamento"), null=True, blank=True)
    # The conversation (window) the statuses name: its id, what opened it, when it closes.
    conversation_id = models.CharField(max_length=200, blank=True)
    conversation_origin = models.CharField(max_length=40, blank=True)
    conversation_expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("messaggio inviato")
        verbose_name_plural = _("messaggi inviati")
        # Ids follow creation: the newest first without an index on created_at.
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider_id"],
                condition=~Q(provider_id=""),
                name="outbound_provider_id_once",
            ),
            models.CheckConstraint(
                condition=~Q(text="") | ~Q(template_name="") | ~Q(media_url="") | ~Q(media_file=""),
                name="outbound_has_content",
            ),
        ]
        # Few indexes, on purpose: a send changes `state` twice, and a row whose indexed column
        # changes gets a new entry in every index of the table (no HOT update); a broadcast
        # writes 100,000 rows at once. The queue index holds only the rows still to go.
        indexes = [
            models.Index(fields=["to"], name="outbox_to"),
            models.Index(
                fields=["state", "priority", "created_at"],
                name="outbox_queue",
                condition=Q(state__in=[OutboundState.QUEUED, OutboundState.SENDING]),
            ),
            # The messaging limit's count over the last 24 hours: only the rows that count.
            models.Index(
                fields=["reach_counted_at"],
                name="outbox_reach",
                condition=Q(reach_counted_at__isnull=False),
            ),
            # The operators' list of messages to check: a handful of rows.
            models.Index(fields=["id"], name="outbox_in_review", condition=Q(needs_review=True)),
        ]

    def __str__(self) -> str:
        return f"{self.to} {self.purpose} ({self.get_state_display()})"


class PendingStatus(models.Model):
    """A provider status whose message we cannot match yet: it arrived before the send's own
    answer stored the provider id. Applied, then deleted, when that id is stored."""

    provider_id = models.CharField(max_length=200, db_index=True)
    status = models.CharField(max_length=12)
    at = models.DateTimeField()
    error_code = models.CharField(max_length=20, blank=True)
    error_message = models.TextField(blank=True)
    # The status's billing facts (adapters.base.StatusPricing.as_json), applied with it.
    pricing = models.JSONField(default=dict, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("stato in attesa")
        verbose_name_plural = _("stati in attesa")
        constraints = [
            models.UniqueConstraint(fields=["provider_id", "status"], name="pending_status_once"),
        ]

    def __str__(self) -> str:
        return f"{self.provider_id} {self.status}"


class RateSlot(models.Model):
    """The rate limiter's state when there is no Redis (the embedded default): the next free
    moment of a bucket, shared by every process through the database."""

    key = models.CharField(max_length=200, unique=True)
    # Seconds since the epoch (the "theoretical arrival time" of GCRA).
    next_at = models.FloatField(default=0.0)

    def __str__(self) -> str:
        return self.key


class WorkerLife(models.Model):
    """One run of a Celery worker, from its start: a heartbeat every few seconds says it is
    alive; a run that stopped beating died, and what it held is sent again
    (gateway/services/recovery.py). A restarted worker is a new run with a new name."""

    name = models.CharField(max_length=80, unique=True)
    hostname = models.CharField(max_length=200, db_index=True)
    started_at = models.DateTimeField()
    seen_at = models.DateTimeField(db_index=True)
    # Set once its work was taken back: each death is handled once.
    recovered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("worker")
        verbose_name_plural = _("worker")

    def __str__(self) -> str:
        return self.name
