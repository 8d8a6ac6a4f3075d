from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from subscribers.models import Subscriber
from urp_portal.gateway.models import OutboundMessage
from urp_portal.municipality.models import BroadcastSlot
from urp_portal.municipality.scope import (
    ComuneScopedManager,
)

from ..states import (
    Audience,
    CampaignState,
    DeliveryState,
    TemplateCategory,
)
from .templates import IMAGE_FILES, MessageTemplate, OwnedByTheScopesComune


class Campaign(OwnedByTheScopesComune):
    """One message to every subscriber of its comune, written, approved, scheduled and sent
    from the comune's number. Emergency alerts are campaigns too (`is_emergency`)."""

    title = models.CharField(_("titolo"), max_length=200)
    template = models.ForeignKey(
        MessageTemplate,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="campaigns",
        verbose_name=_("modello"),
    )
    parameters = models.JSONField(_("valori dei parametri"), default=list, blank=True)
    # Free text instead of a template: only where the gateway is the simulator (WhatsApp itself
    # lets a business start a conversation only with an approved template).
    text = models.TextField(_("testo libero"), blank=True, max_length=4096)
    image = models.FileField(
        _("immagine"), upload_to="campaigns/%Y/%m/", blank=True, validators=[IMAGE_FILES]
    )
    audience = models.CharField(
        _("destinatari"), max_length=20, choices=Audience.choices, default=Audience.ALL_SUBSCRIBED
    )
    is_emergency = models.BooleanField(
        _("avviso di emergenza"),
        default=False,
        help_text=_(
            "Parte subito, anche di notte, prima di ogni altra lista in invio. "
            "Nell'amministrazione serve la conferma di una seconda persona."
        ),
    )
    state = models.CharField(
        _("stato"),
        max_length=12,
        choices=CampaignState.choices,
        default=CampaignState.DRAFT,
        db_index=True,
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("creata da"),
    )
    # Written by one of the comune's systems (an API token): who must not confirm it alone.
    created_by_token = models.ForeignKey(
        "accounts.ApiToken",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("creata dal sistema"),
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("approvata da"),
    )
    approved_at = models.DateTimeField(_("approvata il"), null=True, blank=True)
    scheduled_at = models.DateTimeField(_("programmata per"), null=True, blank=True, db_index=True)
    slot = models.ForeignKey(
        BroadcastSlot,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("appuntamento"),
    )
    started_at = models.DateTimeField(_("partita il"), null=True, blank=True)
    finished_at = models.DateTimeField(_("conclusa il"), null=True, blank=True)
    recipients_count = models.PositiveIntegerField(_("destinatari"), default=0)
    # Each batch stamps this: a sending campaign whose stamp grows old lost its worker.
    last_batch_at = models.DateTimeField(null=True, blank=True)
    # No delivery below this id is in flight at the gateway, nor will be: the batches count
    # what they hold from here (fanout._in_flight), not over every delivery handed off so far.
    in_flight_from = models.PositiveBigIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(_("creata il"), auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ComuneScopedManager()
    # A manager (the cross-comune one), declared after the default: ruff takes it for a field.
    all_comuni = models.Manager()

    class Meta:
        verbose_name = _("campagna")
        verbose_name_plural = _("campagne")
        ordering = ["-created_at"]
        permissions = [
            ("approve_campaign", _("Può approvare le campagne")),
            ("send_emergency_alert", _("Può inviare avvisi di emergenza")),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(template__isnull=False) | ~Q(text=""),
                name="campaign_has_content",
                violation_error_message=_("Scegli un modello o scrivi il testo."),
            ),
        ]

    def __str__(self) -> str:
        return self.title


class CampaignEvent(models.Model):
    """A campaign's change of state: who, when, from, to, why."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="events")
    from_state = models.CharField(_("da"), max_length=12, choices=CampaignState.choices)
    to_state = models.CharField(_("a"), max_length=12, choices=CampaignState.choices)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("da chi"),
    )
    at = models.DateTimeField(_("quando"), auto_now_add=True)
    reason = models.CharField(_("perché"), max_length=300, blank=True)

    objects = ComuneScopedManager("campaign__comune")
    # A manager (the cross-comune one), declared after the default: ruff takes it for a field.
    all_comuni = models.Manager()  # noqa: DJ012

    class Meta:
        verbose_name = _("evento della campagna")
        verbose_name_plural = _("eventi della campagna")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        # Shown as the row's title in the campaign's history: the states' Italian names.
        return f"{CampaignState(self.from_state).label} → {CampaignState(self.to_state).label}"


class Delivery(models.Model):
    """One recipient of one campaign, backed by the outbox message that carries it."""

    # No index of its own: the unique constraint and the queue index both start with it.
    # No foreign-key constraints in the database for the campaign and the subscriber either,
    # like the message's below: the plan's one statement reads the recipients from the
    # subscribers' table for a campaign it holds locked, so both exist by construction (and a
    # subscriber is never deleted: an erasure blanks the row). Their row-by-row checks were 3.2
    # of the 11.6 s of planning 100,000 recipients under EXPLAIN ANALYZE (many_comuni.txt).
    # Deleting a campaign or a subscriber still deletes its deliveries (Django cascades).
    campaign = models.ForeignKey(
        Campaign,
        on_delete=models.CASCADE,
        related_name="deliveries",
        db_index=False,
        db_constraint=False,
    )
    subscriber = models.ForeignKey(
        Subscriber, on_delete=models.CASCADE, related_name="deliveries", db_constraint=False
    )
    # No foreign-key constraint in the database: the plan writes each outbox message and its
    # delivery in one statement, so the pair exists by construction, and checking it row by row
    # was a fifth of planning 100,000 recipients. Deleting a message still deletes its delivery
    # (Django cascades); the unique index stays.
    message = models.OneToOneField(
        OutboundMessage, on_delete=models.CASCADE, related_name="delivery", db_constraint=False
    )
    state = models.CharField(
        _("stato"), max_length=12, choices=DeliveryState.choices, default=DeliveryState.QUEUED
    )
    handed_off_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ComuneScopedManager("campaign__comune")
    # A manager (the cross-comune one), declared after the default: ruff takes it for a field.
    all_comuni = models.Manager()  # noqa: DJ012

    class Meta:
        verbose_name = _("consegna")
        verbose_name_plural = _("consegne")
        constraints = [
            # The last guard against a campaign started twice.
            models.UniqueConstraint(
                fields=["campaign", "subscriber"], name="delivery_once_per_subscriber"
            ),
        ]
        indexes = [models.Index(fields=["campaign", "state", "id"], name="delivery_queue")]

    def __str__(self) -> str:
        return f"{self.campaign_id} → {self.subscriber_id}"


class SlotWarning(models.Model):
    """A warning sent because a broadcast slot had nothing scheduled a day before: once per
    occurrence of the slot."""

    slot = models.ForeignKey(BroadcastSlot, on_delete=models.CASCADE, related_name="+")
    occurrence = models.DateTimeField()
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("avviso di appuntamento vuoto")
        verbose_name_plural = _("avvisi di appuntamento vuoto")
        constraints = [
            models.UniqueConstraint(fields=["slot", "occurrence"], name="slot_warning_once"),
        ]

    def __str__(self) -> str:
        return f"{self.slot} {self.occurrence:%Y-%m-%d %H:%M}"


class RateCard(models.Model):
    """What Meta charges per delivered template message, by category, from a date: the campaign
    preview's estimate. Meta publishes its rates per recipient country (Italy for a comune) and
    changes them a few times a year; the staff enter the card in force with its source."""

    valid_from = models.DateField(_("in vigore dal"), unique=True)
    currency = models.CharField(_("valuta"), max_length=3, default="EUR")
    marketing = models.DecimalField(_("promozionale"), max_digits=8, decimal_places=4)
    utility = models.DecimalField(_("servizio"), max_digits=8, decimal_places=4)
    authentication = models.DecimalField(_("autenticazione"), max_digits=8, decimal_places=4)
    source = models.URLField(
        _("fonte"),
        max_length=500,
        default="https://developers.facebook.com/documentation/business-messaging/whatsapp/pricing",
    )
    note = models.CharField(_("nota"), max_length=300, blank=True)
    # Meta since 1 Jul 2025: a utility template delivered inside the citizen's open window is
    # free. Providers report that this ends on 1 Oct 2026 (not read on Meta's pages): a card
    # says which rule it was entered under, for the estimates of messages Meta has not priced.
    utility_free_in_window = models.BooleanField(
        _("servizio gratuito nella finestra di 24 ore"),
        default=True,
        help_text=_(
            "Un modello di servizio consegnato a chi ha scritto nelle ultime 24 ore è gratuito "
            "(regola di Meta dal 1° luglio 2025). Togliere la spunta se la pagina dei prezzi di "
            "Meta dice che non lo è più (alcuni fornitori lo riportano dal 1° ottobre 2026)."
        ),
    )

    class Meta:
        verbose_name = _("tariffa di Meta")
        verbose_name_plural = _("tariffe di Meta")
        ordering = ["-valid_from"]

    def __str__(self) -> str:
        return f"{self.valid_from:%d/%m/%Y} ({self.currency})"

    def rate(self, category: str) -> Decimal | None:
        rates: dict[str, Decimal] = {
            TemplateCategory.MARKETING.value: self.marketing,
            TemplateCategory.UTILITY.value: self.utility,
            TemplateCategory.AUTHENTICATION.value: self.authentication,
        }
        return rates.get(category)


class CampaignStateCount(models.Model):
    """A change in how many of a campaign's messages are in a state: the campaign's counters,
    kept without counting its deliveries again (PostgreSQL only; elsewhere they are counted).

    Rows are written by database triggers (migration 0005) in the transaction of every change
    of an outbox message's state: the planned deliveries add to "queued", each statement that
    moves messages adds one row per campaign and state it touched (+n to, -n from), so a
    group of 500 statuses is one or two rows, not 500 updates of one hot row. The counters are
    the sums per state; `campaign_counts_compact` folds the rows into one per state from time
    to time. "sending" is counted as "queued" (the API shows them together), so a claim
    writes nothing."""

    # No constraint in the database: the triggers write these rows inside the outbox's own
    # statements, which must never fail for a campaign being deleted at that moment (Django
    # still deletes them with their campaign).
    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    state = models.CharField(max_length=12)
    n = models.IntegerField()

    class Meta:
        verbose_name = _("conteggio della campagna")
        verbose_name_plural = _("conteggi della campagna")
        indexes = [models.Index(fields=["campaign", "state"], name="campaign_state_count")]

    def __str__(self) -> str:
        return f"{self.campaign_id} {self.state} {self.n:+d}"
