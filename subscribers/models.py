from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from urp_portal.core.models import AppendOnlyModel as AppendOnlyModel  # moved: old name kept
from urp_portal.core.models import AppendOnlyQuerySet as AppendOnlyQuerySet
from urp_portal.gateway.models import InboundMessage, OutboundMessage
from urp_portal.municipality.models import Municipality
from urp_portal.municipality.scope import (
    AllComuniManager,
    ComuneScopedManager,
    ScopedAppendOnlyManager,
    comune_owner_field,
)

from .states import (
    ConsentChannel,
    ConsentKind,
    DataSubjectRequestKind,
    DataSubjectRequestOutcome,
    IdentityStep,
    SubscriberStatus,
)


class Subscriber(models.Model):
    """One per WhatsApp number and comune: a citizen who wrote, subscribed, or both. The same
    phone writing to two comuni of one deployment is two citizens, each comune's own."""

    # The comune whose number the citizen wrote to. Empty: the active comune's (rows from
    # before the tenancy; municipality/scope.py owned_by).
    comune = comune_owner_field()
    # E.164 ("+39..."), or WhatsApp's username-based user id where it gives no number. NULL once
    # anonymised: unique numbers within a comune, but any count of erased ones.
    number = models.CharField(  # noqa: DJ001
        _("numero WhatsApp"), max_length=100, null=True
    )
    # HMAC of the number (pseudonyms.py): survives anonymisation, so the consent ledger still
    # shows who opted in and out, and a number that comes back is linked to its past.
    pseudonym = models.CharField(_("chiave pseudonima"), max_length=64, blank=True, db_index=True)
    # The anonymised history of the same number, when it comes back after an erasure.
    previous = models.ForeignKey(
        "self",
        verbose_name=_("storia precedente"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="later_histories",
    )
    # The business-scoped user id WhatsApp names the citizen by (BSUID, "IT.1502..."), when it
    # gives one: alone for a citizen with a username who shares no number (then `number` holds
    # it too), beside the number otherwise. A new one is issued when the number changes.
    wa_user_id = models.CharField(_("user id WhatsApp"), max_length=100, blank=True, db_index=True)
    wa_username = models.CharField(_("nome utente WhatsApp"), max_length=100, blank=True)
    profile_name = models.CharField(_("nome del profilo WhatsApp"), max_length=200, blank=True)
    first_name = models.CharField(_("nome"), max_length=100, blank=True)
    last_name = models.CharField(_("cognome"), max_length=100, blank=True)
    birth_date = models.DateField(_("data di nascita"), null=True, blank=True)
    status = models.CharField(
        _("stato"),
        max_length=12,
        choices=SubscriberStatus.choices,
        default=SubscriberStatus.CONTACT,
        db_index=True,
    )
    identity_step = models.CharField(
        _("richiesta dei dati"),
        max_length=12,
        choices=IdentityStep.choices,
        default=IdentityStep.NOT_STARTED,
    )
    # The citizen's first message, held while we ask who they are; it becomes the ticket after.
    identity_held_message = models.ForeignKey(
        InboundMessage,
        verbose_name=_("primo messaggio in attesa"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    identity_completed_at = models.DateTimeField(_("dati forniti il"), null=True, blank=True)
    first_contact_at = models.DateTimeField(_("primo contatto"), null=True, blank=True)
    # The 24-hour window for free text (DESIGN.md) is read from this.
    last_inbound_at = models.DateTimeField(_("ultimo messaggio ricevuto"), null=True, blank=True)
    subscribed_at = models.DateTimeField(_("iscritto il"), null=True, blank=True, db_index=True)
    unsubscribed_at = models.DateTimeField(_("cancellato il"), null=True, blank=True, db_index=True)
    anonymised_at = models.DateTimeField(_("anonimizzato il"), null=True, blank=True)
    # Set while the citizen has stopped marketing messages in WhatsApp (user_preferences):
    # marketing broadcasts skip them, utility alerts still go.
    marketing_stopped_at = models.DateTimeField(
        _("promozionali fermati in WhatsApp il"), null=True, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ComuneScopedManager()
    all_comuni = AllComuniManager()

    class Meta:
        verbose_name = _("cittadino")
        verbose_name_plural = _("cittadini")
        ordering = ["-last_inbound_at"]
        permissions = [
            ("export_subscriber", _("Può esportare i dati di un cittadino (art. 15)")),
            ("erase_subscriber", _("Può cancellare i dati di un cittadino (art. 17)")),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status=SubscriberStatus.ANONYMISED, number__isnull=True)
                | (~Q(status=SubscriberStatus.ANONYMISED) & Q(number__isnull=False)),
                name="subscriber_number_until_anonymised",
            ),
            # One citizen per number in each comune; the rows with no comune (the active
            # comune's, from before the tenancy) among themselves, as the old unique number.
            models.UniqueConstraint(fields=["comune", "number"], name="subscriber_number_once"),
            models.UniqueConstraint(
                fields=["number"],
                condition=Q(comune__isnull=True),
                name="subscriber_number_once_unassigned",
            ),
        ]
        indexes = [
            # Lookups by number alone (the API's ?number=, erasure, the outbox's recipient).
            models.Index(fields=["number"], name="subscriber_number"),
        ]

    def __str__(self) -> str:
        full_name = f"{self.first_name} {self.last_name}".strip()
        return full_name or self.profile_name or self.number or str(_("anonimo"))


class PrivacyNotice(AppendOnlyModel):
    """A version of the comune's privacy notice as it was sent. The comune edits the text in its
    configuration; each change becomes a new row here, so consent always points at what was read."""

    municipality = models.ForeignKey(
        Municipality,
        verbose_name=_("comune"),
        on_delete=models.PROTECT,
        related_name="privacy_notices",
    )
    version = models.CharField(_("versione"), max_length=30)
    text = models.TextField(_("testo"))
    text_sha256 = models.CharField(max_length=64, editable=False)
    in_force_from = models.DateTimeField(_("in vigore dal"), db_index=True)

    class Meta:
        verbose_name = _("informativa privacy")
        verbose_name_plural = _("informative privacy")
        ordering = ["-in_force_from", "-pk"]
        get_latest_by = ["in_force_from", "pk"]

    def __str__(self) -> str:
        return f"{self.municipality} v{self.version} ({self.in_force_from:%d/%m/%Y})"


class ConsentRecord(AppendOnlyModel):
    """The consent ledger (GDPR art. 7(1)): what the citizen agreed to or withdrew, when, how and
    in which words. Append-only; it keeps the pseudonymous key, never the number."""

    subscriber = models.ForeignKey(
        Subscriber, on_delete=models.PROTECT, related_name="consent_records"
    )
    pseudonym = models.CharField(_("chiave pseudonima"), max_length=64, db_index=True)
    kind = models.CharField(_("evento"), max_length=12, choices=ConsentKind.choices)
    notice = models.ForeignKey(
        PrivacyNotice,
        verbose_name=_("informativa"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="consent_records",
    )
    notice_version = models.CharField(_("versione dell'informativa"), max_length=30, blank=True)
    at = models.DateTimeField(_("quando"), db_index=True)
    channel = models.CharField(_("canale"), max_length=12, choices=ConsentChannel.choices)
    # Not a foreign key: the message may be purged by retention, its id and words stay here.
    inbound_message_id = models.BigIntegerField(_("messaggio ricevuto (id)"), null=True, blank=True)
    inbound_text = models.TextField(_("testo del messaggio"), blank=True)
    actor = models.CharField(_("eseguito da"), max_length=150, blank=True)

    # The comune's through its citizen.
    objects = ScopedAppendOnlyManager("subscriber__comune")  # type: ignore[misc,assignment]
    all_comuni = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = _("registrazione del consenso")
        verbose_name_plural = _("registro dei consensi")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.at:%d/%m/%Y %H:%M}"


class DataSubjectRequest(AppendOnlyModel):
    """The audit of exports (art. 15) and erasures (art. 17): who, when, why, with what outcome."""

    subscriber = models.ForeignKey(
        Subscriber, on_delete=models.PROTECT, related_name="data_subject_requests"
    )
    pseudonym = models.CharField(_("chiave pseudonima"), max_length=64, db_index=True)
    kind = models.CharField(_("richiesta"), max_length=10, choices=DataSubjectRequestKind.choices)
    outcome = models.CharField(_("esito"), max_length=10, choices=DataSubjectRequestOutcome.choices)
    reason = models.TextField(
        _("motivo"),
        help_text=_(
            "Ad esempio il protocollo della richiesta. Non scrivere qui nomi o numeri: la "
            "registrazione resta anche dopo la cancellazione."
        ),
    )
    # The reasons the erasure had to wait, as given by the other apps.
    details = models.JSONField(_("dettagli"), default=dict, blank=True)
    channel = models.CharField(_("canale"), max_length=12, choices=ConsentChannel.choices)
    # PROTECT: deactivate an operator who acted on personal data, never delete them.
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("utente"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    actor = models.CharField(_("eseguito da"), max_length=150)
    at = models.DateTimeField(_("quando"), db_index=True)

    objects = ScopedAppendOnlyManager("subscriber__comune")  # type: ignore[misc,assignment]
    all_comuni = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = _("richiesta dell'interessato")
        verbose_name_plural = _("richieste degli interessati")
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.at:%d/%m/%Y %H:%M}"


class OutboundScrub(models.Model):
    """An outbox row to a number already erased, still waiting to be sent (e.g. the confirmation
    of the unsubscribe that caused the erasure): its recipient and text are wiped once it is
    sent or has failed (tasks.outbound_scrub_sent_task)."""

    outbound_message = models.OneToOneField(
        OutboundMessage, on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("messaggio da ripulire dopo l'invio")
        verbose_name_plural = _("messaggi da ripulire dopo l'invio")

    def __str__(self) -> str:
        return f"outbound {self.outbound_message_id}"
