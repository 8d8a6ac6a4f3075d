from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from urp_portal.core.models import AppendOnlyModel, AppendOnlyQuerySet
from urp_portal.gateway.models import InboundMessage, OutboundMessage
from urp_portal.municipality.scope import (
    AllComuniManager,
    ComuneScopedManager,
    ScopedAppendOnlyManager,
    comune_owner_field,
)

from .states import ActionKind, BlockEnd, CaseState, LexiconKind


class PolicyCategory(models.Model):
    """One rule of the comune's published moderation policy; every moderation action names one
    or more. Each comune publishes its own (shared/seeds: Assemini's has five rules, Cagliari's
    nine), so each has its own rows (presets.py); empty `comune`: the active comune's."""

    comune = comune_owner_field(db_index=False)
    code = models.SlugField(_("codice"))
    label = models.CharField(_("nome"), max_length=120)
    policy_text = models.TextField(_("testo della policy"))
    # Serious categories are the ones the notices say may be reported to the judicial authorities.
    may_be_reported = models.BooleanField(_("segnalabile alle autorità"), default=False)
    position = models.PositiveSmallIntegerField(_("ordine"), default=0)

    objects = ComuneScopedManager()
    all_comuni = AllComuniManager()

    class Meta:
        verbose_name = _("categoria della policy")
        verbose_name_plural = _("categorie della policy")
        ordering = ["position", "code"]
        constraints = [
            models.UniqueConstraint(fields=["comune", "code"], name="policy_category_code_once"),
            models.UniqueConstraint(
                fields=["code"],
                condition=Q(comune__isnull=True),
                name="policy_category_code_once_unowned",
            ),
        ]

    def __str__(self) -> str:
        return self.label


class ModerationSettings(models.Model):
    """The moderation's own settings: one row per comune, created on first use (the active
    comune's has no `comune`: the row pk=1 of before the tenancy)."""

    comune = comune_owner_field(db_index=False)
    warning_text = models.TextField(
        _("testo dell'avviso al cittadino"),
        blank=True,
        help_text=_(
            "Vuoto: il testo predefinito. Segnaposto: {comune}, {categorie} (le regole violate)."
        ),
    )
    # Raised by every change to the comune's lexicon or allowed domains: each process compares
    # it with the one its screener of that comune was built from and rebuilds when they differ.
    screening_version = models.PositiveIntegerField(default=1, editable=False)

    objects = ComuneScopedManager()
    all_comuni = AllComuniManager()

    class Meta:
        verbose_name = _("impostazioni della moderazione")
        verbose_name_plural = _("impostazioni della moderazione")
        # The active comune's row has no `comune`: the one made by migration 0004 (pk=1), read
        # first by pk if a race ever made two (selectors.moderation_settings_get).
        constraints = [
            models.UniqueConstraint(fields=["comune"], name="moderation_settings_once"),
        ]

    def __str__(self) -> str:
        return str(_("Impostazioni della moderazione"))


class LexiconEntry(models.Model):
    """A word of the comune's screening lexicon; its inflected forms are matched, never
    substrings. Empty `comune`: the active comune's."""

    comune = comune_owner_field(db_index=False)
    word = models.CharField(
        _("parola"),
        max_length=80,
        help_text=_("Il lemma (stronzo, cagare): le forme flesse sono riconosciute da sole."),
    )
    kind = models.CharField(
        _("tipo"), max_length=10, choices=LexiconKind.choices, default=LexiconKind.INSULT
    )
    is_active = models.BooleanField(_("attiva"), default=True)
    note = models.CharField(_("nota"), max_length=200, blank=True)

    objects = ComuneScopedManager()
    all_comuni = AllComuniManager()

    class Meta:
        verbose_name = _("parola del lessico")
        verbose_name_plural = _("lessico degli insulti")
        ordering = ["kind", "word"]
        constraints = [
            models.UniqueConstraint(
                fields=["comune", "word", "kind"], name="lexicon_entry_once_per_comune"
            ),
            models.UniqueConstraint(
                fields=["word", "kind"],
                condition=Q(comune__isnull=True),
                name="lexicon_entry_once",
            ),
        ]

    def __str__(self) -> str:
        return self.word


class AllowedDomain(models.Model):
    """A site links may point to without a flag (its subdomains too): the comune's own sites and
    the public administration's. Empty `comune`: the active comune's."""

    comune = comune_owner_field(db_index=False)
    domain = models.CharField(_("dominio"), max_length=253)
    is_active = models.BooleanField(_("attivo"), default=True)
    note = models.CharField(_("nota"), max_length=200, blank=True)

    objects = ComuneScopedManager()
    all_comuni = AllComuniManager()

    class Meta:
        verbose_name = _("dominio ammesso")
        verbose_name_plural = _("domini ammessi")
        ordering = ["domain"]
        constraints = [
            models.UniqueConstraint(fields=["comune", "domain"], name="allowed_domain_once"),
            models.UniqueConstraint(
                fields=["domain"],
                condition=Q(comune__isnull=True),
                name="allowed_domain_once_unowned",
            ),
        ]

    def __str__(self) -> str:
        return self.domain


class ModerationCase(models.Model):
    """What the moderation holds about one citizen's conduct, from the first flag or action to its
    close. While open, the citizen's messages are under legal hold (no erasure, no purge)."""

    subscriber = models.ForeignKey(
        "subscribers.Subscriber",
        on_delete=models.PROTECT,
        related_name="moderation_cases",
        verbose_name=_("cittadino"),
    )
    state = models.CharField(
        _("stato"), max_length=10, choices=CaseState.choices, default=CaseState.OPEN
    )
    opened_at = models.DateTimeField(_("aperto il"), db_index=True)
    # Empty: opened by the screening.
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("aperto da"),
    )
    closed_at = models.DateTimeField(_("chiuso il"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("chiuso da"),
    )
    # The citizen's messages the case is about (the evidence): flagged ones, those acted on and
    # those sent while blocked.
    messages = models.ManyToManyField(
        InboundMessage, blank=True, related_name="moderation_cases", verbose_name=_("messaggi")
    )

    # The comune's through its citizen.
    objects = ComuneScopedManager("subscriber__comune")
    all_comuni = AllComuniManager()

    class Meta:
        verbose_name = _("caso di moderazione")
        verbose_name_plural = _("casi di moderazione")
        ordering = ["-opened_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["subscriber"],
                condition=Q(state=CaseState.OPEN),
                name="moderation_case_one_open_per_subscriber",
            ),
        ]

    def __str__(self) -> str:
        return str(_("Caso n. %(number)s") % {"number": self.pk})


class ScreeningFlag(models.Model):
    """A citizen's message the screening flagged, with its reasons: an item of the moderation
    queue until a moderator acts on it or dismisses it."""

    case = models.ForeignKey(ModerationCase, on_delete=models.PROTECT, related_name="flags")
    inbound = models.OneToOneField(
        InboundMessage,
        on_delete=models.PROTECT,
        related_name="moderation_flag",
        verbose_name=_("messaggio"),
    )
    categories = models.ManyToManyField(
        PolicyCategory, related_name="flags", verbose_name=_("categorie")
    )
    # [{"rule", "category", "reason", "start", "end"}], as the screener found them.
    reasons = models.JSONField(_("motivi"), default=list)
    flagged_at = models.DateTimeField(_("segnalato il"), db_index=True)
    reviewed_at = models.DateTimeField(_("esaminato il"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("esaminato da"),
    )

    objects = ComuneScopedManager("case__subscriber__comune")
    all_comuni = AllComuniManager()

    class Meta:
        verbose_name = _("messaggio segnalato")
        verbose_name_plural = _("coda di moderazione")
        ordering = ["-flagged_at", "-pk"]
        indexes = [
            models.Index(fields=["reviewed_at", "-flagged_at"], name="moderation_queue"),
        ]

    def __str__(self) -> str:
        return str(_("Segnalazione n. %(number)s") % {"number": self.pk})

    @property
    def reason_text(self) -> str:
        return "; ".join(item.get("reason", "") for item in self.reasons)


class Block(models.Model):
    """A citizen blocked: their messages are stored, open no ticket and get no reply. Ends when a
    moderator unblocks or, if it has an end date, by itself."""

    subscriber = models.ForeignKey(
        "subscribers.Subscriber",
        on_delete=models.PROTECT,
        related_name="moderation_blocks",
        verbose_name=_("cittadino"),
    )
    case = models.ForeignKey(ModerationCase, on_delete=models.PROTECT, related_name="blocks")
    starts_at = models.DateTimeField(_("dal"))
    ends_at = models.DateTimeField(
        _("fino al"), null=True, blank=True, help_text=_("Vuoto: finché un moderatore sblocca.")
    )
    # The citizen's status before the block, given back when it ends.
    previous_status = models.CharField(max_length=12, editable=False)
    lifted_at = models.DateTimeField(_("terminato il"), null=True, blank=True, db_index=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("sbloccato da"),
    )
    end_reason = models.CharField(_("fine"), max_length=10, choices=BlockEnd.choices, blank=True)

    objects = ComuneScopedManager("subscriber__comune")
    all_comuni = AllComuniManager()

    class Meta:
        verbose_name = _("blocco")
        verbose_name_plural = _("blocchi")
        ordering = ["-starts_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["subscriber"],
                condition=Q(lifted_at__isnull=True),
                name="moderation_block_one_active_per_subscriber",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.subscriber} ({self.starts_at:%d/%m/%Y})"

    @property
    def is_active(self) -> bool:
        return self.lifted_at is None


class ModerationAction(AppendOnlyModel):
    """The audit of moderation: who did what, when, to whom, under which rules and why.
    Append-only: a reversal is a new row pointing at the one it undoes."""

    case = models.ForeignKey(ModerationCase, on_delete=models.PROTECT, related_name="actions")
    kind = models.CharField(_("azione"), max_length=15, choices=ActionKind.choices)
    # Empty: the system (a block that lapsed).
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("chi"),
    )
    at = models.DateTimeField(_("quando"), db_index=True)
    categories = models.ManyToManyField(
        PolicyCategory, related_name="actions", verbose_name=_("categorie")
    )
    note = models.TextField(_("nota"), blank=True)
    subscriber = models.ForeignKey(
        "subscribers.Subscriber",
        on_delete=models.PROTECT,
        related_name="moderation_actions",
        verbose_name=_("cittadino"),
    )
    inbound = models.ForeignKey(
        InboundMessage,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="moderation_actions",
        verbose_name=_("messaggio"),
    )
    block = models.ForeignKey(
        Block, null=True, blank=True, on_delete=models.PROTECT, related_name="actions"
    )
    outbound = models.ForeignKey(
        OutboundMessage,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("avviso inviato"),
    )
    reverses = models.OneToOneField(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reversed_by",
        verbose_name=_("annulla"),
    )

    objects = ScopedAppendOnlyManager("case__subscriber__comune")  # type: ignore[misc,assignment]
    all_comuni = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = _("azione di moderazione")
        verbose_name_plural = _("azioni di moderazione")
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["subscriber", "-at"], name="moderation_action_citizen")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.at:%d/%m/%Y %H:%M}"


class EvidencePackage(AppendOnlyModel):
    """A sealed ZIP for the judicial authorities; its SHA-256 is kept here, so the file can be
    checked at any time against what was filed. Never changed, never deleted."""

    case = models.ForeignKey(ModerationCase, on_delete=models.PROTECT, related_name="packages")
    action = models.OneToOneField(
        ModerationAction, on_delete=models.PROTECT, related_name="evidence_package"
    )
    file = models.FileField(_("pacchetto"), upload_to="evidence/%Y/%m/")
    sha256 = models.CharField(_("SHA-256 del pacchetto"), max_length=64)
    size = models.PositiveBigIntegerField(_("dimensione (byte)"))
    created_at = models.DateTimeField(_("creato il"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("creato da"),
    )

    objects = ScopedAppendOnlyManager("case__subscriber__comune")  # type: ignore[misc,assignment]
    all_comuni = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = _("pacchetto di prove")
        verbose_name_plural = _("pacchetti di prove")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.file.name.rsplit('/', 1)[-1]} ({self.sha256[:12]}…)"
