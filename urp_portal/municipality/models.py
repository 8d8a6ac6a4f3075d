from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from .scope import ComuneScopedManager, comune_owner_field
from .states import ChannelMode, ElsewhereHandling, FirstContactNotice, KeywordKind, Weekday
from .validators import validate_e164, whatsapp_text_length


def _text(verbose_name, help_text="", blank=True):
    return models.TextField(
        verbose_name, blank=blank, help_text=help_text, validators=[whatsapp_text_length]
    )


class Municipality(models.Model):
    """A comune's whole configuration of the service; exactly one is active per deployment."""

    slug = models.SlugField(_("codice"), unique=True)
    name = models.CharField(_("nome del comune"), max_length=120)
    whatsapp_number = models.CharField(
        _("numero WhatsApp"),
        max_length=20,
        validators=[validate_e164],
        help_text=_("In formato internazionale, ad esempio +393290582872."),
    )
    is_active = models.BooleanField(_("attiva"), default=False, editable=False)

    mode = models.CharField(
        _("cosa accetta WhatsApp"),
        max_length=20,
        choices=ChannelMode.choices,
        default=ChannelMode.TWO_WAY_MEDIA,
    )
    identity_required = models.BooleanField(
        _("al primo contatto chiedere nome, cognome e data di nascita"), default=False
    )
    answer_deadline_working_days = models.PositiveSmallIntegerField(
        _("termine di risposta (giorni lavorativi)"), default=2
    )
    services_may_reply_directly = models.BooleanField(
        _("i servizi possono rispondere direttamente al cittadino"), default=False
    )

    holiday_province = models.CharField(
        _("provincia per le festività"),
        max_length=8,
        blank=True,
        help_text=_(
            "Sigla della provincia (es. CA). Aggiunge la festa patronale del capoluogo: "
            "lasciala vuota se il comune non è capoluogo e indica la sua festa patronale sotto."
        ),
    )
    patron_saint = models.CharField(_("santo patrono"), max_length=120, blank=True)
    patron_day = models.PositiveSmallIntegerField(
        _("giorno della festa patronale"), null=True, blank=True
    )
    patron_month = models.PositiveSmallIntegerField(
        _("mese della festa patronale"), null=True, blank=True
    )

    quiet_hours_start = models.TimeField(
        _("inizio delle ore di silenzio"),
        default="21:00",
        help_text=_("Le liste broadcast non partono di notte; gli avvisi di emergenza sì."),
    )
    quiet_hours_end = models.TimeField(_("fine delle ore di silenzio"), default="08:00")

    emergency_integration_name = models.CharField(
        _("sistema che invia avvisi di emergenza da solo"),
        max_length=100,
        blank=True,
        help_text=_(
            "Il nome del token API del sistema della protezione civile: i suoi avvisi partono "
            "senza la conferma di una seconda persona e restano nel registro degli accessi come "
            "tali. Vuoto: ogni avviso attende la conferma di una seconda persona o di un altro "
            "sistema."
        ),
    )
    campaign_four_eyes = models.BooleanField(
        _("anche le campagne normali sono approvate da una seconda persona"),
        default=False,
        help_text=_("Chi scrive una campagna (persona o sistema) non può approvarla."),
    )

    channel_phone = models.CharField(_("telefono"), max_length=60, blank=True)
    channel_email = models.EmailField(_("email"), blank=True)
    channel_pec = models.EmailField(_("PEC"), blank=True)
    channel_app = models.CharField(_("app"), max_length=120, blank=True)
    channel_web = models.URLField(_("sito o modulo web"), blank=True)

    welcome_text = _text(_("messaggio di benvenuto"), _("Inviato a chi si iscrive."))
    privacy_notice_text = _text(_("informativa privacy"), _("Inviata con il benvenuto."))
    privacy_notice_version = models.CharField(
        _("versione dell'informativa"), max_length=30, default="1"
    )
    already_subscribed_text = _text(_("risposta a chi è già iscritto"))
    unsubscribed_text = _text(_("conferma della cancellazione"))
    not_subscribed_text = _text(_("risposta a chi si cancella senza essere iscritto"))
    first_contact_text = _text(
        _("risposta al primo contatto"),
        _("Ad esempio l'invito a iscriversi alla lista broadcast. Vuoto: nessuna risposta."),
    )
    identity_request_text = _text(_("richiesta dei dati al primo contatto"))
    out_of_hours_text = _text(
        _("risposta fuori orario"),
        _("Segnaposto: {orari} (gli orari del servizio), {prossima_apertura}."),
    )
    media_not_accepted_text = _text(_("risposta a foto, vocali e video (solo testo)"))
    broadcast_only_text = _text(_("risposta a ogni messaggio (solo broadcast)"))
    official_channel_text = _text(
        _("rinvio ai canali ufficiali"),
        _("Per segnalazioni o richieste che WhatsApp non accetta. Segnaposto: {canali}."),
    )

    # GDPR art. 13 at first contact, for everyone who writes (issue #22).
    first_contact_notice = models.CharField(
        _("informativa al primo contatto"),
        max_length=20,
        choices=FirstContactNotice.choices,
        default=FirstContactNotice.AT_FIRST_MESSAGE,
    )
    first_contact_notice_text = _text(
        _("informativa breve al primo contatto"),
        _(
            "Testo breve con il link all'informativa completa. Segnaposto: {link} (l'indirizzo "
            "dell'informativa), {comune}. Vuoto: si invia l'informativa completa."
        ),
    )
    privacy_notice_url = models.URLField(
        _("indirizzo dell'informativa completa"),
        blank=True,
        help_text=_("Vuoto: si invia l'informativa completa al posto del testo breve."),
    )

    # The term said and kept.
    acknowledgement_text = _text(
        _("conferma di ricezione con il termine"),
        _(
            "Inviata alla prima richiesta di una conversazione. Segnaposto: {scadenza} (ad "
            "esempio «mercoledì 9 dicembre»), {giorni}. Vuoto: nessuna conferma."
        ),
    )
    urp_head_email = models.EmailField(
        _("email del responsabile dell'URP"),
        blank=True,
        help_text=_(
            "Riceve i solleciti delle richieste in ritardo dal giorno lavorativo dopo la "
            "scadenza. Vuoto: gli amministratori."
        ),
    )

    # Satisfaction (Direttiva 7 febbraio 2002: "verifica della soddisfazione").
    satisfaction_survey_enabled = models.BooleanField(
        _("chiedere il gradimento dopo la risoluzione"), default=False
    )
    satisfaction_question_text = _text(
        _("domanda di gradimento"),
        _("Inviata con tre pulsanti di risposta dopo che la richiesta è stata risolta."),
    )
    satisfaction_thanks_text = _text(
        _("ringraziamento per il gradimento"),
        _("Inviato dopo la risposta; invita a lasciare un commento facoltativo."),
    )

    # Requests that belong to other channels.
    reports_handling = models.CharField(
        _("segnalazioni"),
        max_length=12,
        choices=ElsewhereHandling.choices,
        default=ElsewhereHandling.ACCEPTED,
    )
    records_access_handling = models.CharField(
        _("richieste di accesso agli atti"),
        max_length=12,
        choices=ElsewhereHandling.choices,
        default=ElsewhereHandling.SUGGEST,
    )

    unsubscribed_data_retention_days = models.PositiveIntegerField(
        _("giorni di conservazione dei dati dopo la cancellazione"),
        default=0,
        help_text=_("0: i dati personali sono distrutti o resi anonimi subito."),
    )
    message_retention_days = models.PositiveIntegerField(
        _("giorni di conservazione delle conversazioni chiuse"), default=730
    )

    # Meta's messaging limit: unique citizens reached outside their 24-hour window per rolling
    # 24 hours (250, 2,000, 10,000, 100,000 or unlimited). Read from Meta where it says it.
    messaging_limit = models.PositiveIntegerField(
        _("limite di messaggi di WhatsApp"),
        null=True,
        blank=True,
        help_text=_(
            "Persone diverse raggiungibili in 24 ore fuori dalla finestra di servizio (250, "
            "2.000, 10.000, 100.000). Vuoto: senza limite. Aggiornato da Meta quando lo indica."
        ),
    )
    messaging_limit_from_provider = models.BooleanField(default=False, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("comune")
        verbose_name_plural = _("comuni")
        constraints = [
            models.UniqueConstraint(
                fields=["is_active"],
                condition=Q(is_active=True),
                name="one_active_municipality",
                violation_error_message=_("Può essere attiva una sola configurazione."),
            ),
            models.CheckConstraint(
                condition=(Q(patron_day__isnull=True) & Q(patron_month__isnull=True))
                | (
                    Q(patron_day__gte=1, patron_day__lte=31)
                    & Q(patron_month__gte=1, patron_month__lte=12)
                ),
                name="patron_day_complete",
                violation_error_message=_(
                    "Indica sia il giorno sia il mese della festa patronale."
                ),
            ),
        ]

    def __str__(self) -> str:
        return self.name


class OfficeHoursSlot(models.Model):
    municipality = models.ForeignKey(
        Municipality, on_delete=models.CASCADE, related_name="office_slots"
    )
    weekday = models.PositiveSmallIntegerField(_("giorno"), choices=Weekday.choices)
    opens_at = models.TimeField(_("dalle"))
    closes_at = models.TimeField(_("alle"))

    class Meta:
        verbose_name = _("fascia oraria")
        verbose_name_plural = _("orari del servizio")
        ordering = ["weekday", "opens_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(opens_at__lt=F("closes_at")),
                name="office_slot_opens_before_closing",
                violation_error_message=_(
                    "L'orario di apertura deve precedere quello di chiusura."
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.opens_at:%H:%M}-{self.closes_at:%H:%M}"


class Closure(models.Model):
    """An ad-hoc closure (a bridge day, a strike, a move), beside public holidays."""

    municipality = models.ForeignKey(
        Municipality, on_delete=models.CASCADE, related_name="closures"
    )
    start_date = models.DateField(_("dal"))
    end_date = models.DateField(_("al (compreso)"))
    reason = models.CharField(_("motivo"), max_length=200)

    class Meta:
        verbose_name = _("chiusura straordinaria")
        verbose_name_plural = _("chiusure straordinarie")
        ordering = ["start_date"]
        constraints = [
            models.CheckConstraint(
                condition=Q(start_date__lte=F("end_date")),
                name="closure_ends_after_start",
                violation_error_message=_("La chiusura deve finire dopo l'inizio."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.start_date:%d/%m/%Y}-{self.end_date:%d/%m/%Y} {self.reason}"


class Keyword(models.Model):
    municipality = models.ForeignKey(
        Municipality, on_delete=models.CASCADE, related_name="keywords"
    )
    kind = models.CharField(_("tipo"), max_length=12, choices=KeywordKind.choices)
    word = models.CharField(_("parola"), max_length=60)
    normalized = models.CharField(max_length=60, editable=False)

    class Meta:
        verbose_name = _("parola chiave")
        verbose_name_plural = _("parole chiave")
        ordering = ["kind", "word"]
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "normalized"],
                name="keyword_unique_per_municipality",
                violation_error_message=_("Questa parola chiave è già usata."),
            ),
        ]

    def __str__(self) -> str:
        return self.word


class BroadcastSlot(models.Model):
    """The comune's regular rhythm of public-utility broadcasts (San Giuliano: twice a week)."""

    municipality = models.ForeignKey(
        Municipality, on_delete=models.CASCADE, related_name="broadcast_slots"
    )
    weekday = models.PositiveSmallIntegerField(_("giorno"), choices=Weekday.choices)
    at = models.TimeField(_("ora"))

    class Meta:
        verbose_name = _("appuntamento broadcast")
        verbose_name_plural = _("appuntamenti broadcast")
        ordering = ["weekday", "at"]
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "weekday", "at"], name="broadcast_slot_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.at:%H:%M}"


class WhatsAppNumber(models.Model):
    """A WhatsApp business number bound to one comune: the one webhook URL routes each event
    by its `metadata.phone_number_id` to the comune of this row, and the comune's messages
    leave from it. The access token and the app secret are sealed at rest (sealed.py): empty
    means the deployment's own WHATSAPP_ACCESS_TOKEN / WHATSAPP_APP_SECRET (a provider's one
    system user and one app serve all its comuni)."""

    comune = models.ForeignKey(
        Municipality,
        verbose_name=_("comune"),
        on_delete=models.PROTECT,
        related_name="whatsapp_numbers",
    )
    phone_number_id = models.CharField(_("id del numero (phone number id)"), max_length=64)
    business_account_id = models.CharField(
        _("id dell'account WhatsApp Business (WABA)"), max_length=64, blank=True
    )
    # Meta sets the messaging limit per business portfolio, shared by all its WABAs' numbers
    # (gateway/numbers.py, portfolio_of); empty: the WABA stands for it, as before.
    business_portfolio_id = models.CharField(
        _("id del portafoglio aziendale (business portfolio)"),
        max_length=64,
        blank=True,
        help_text=_("Il portafoglio di Meta che contiene l'account WhatsApp Business."),
    )
    access_token_sealed = models.TextField(editable=False, blank=True)
    app_secret_sealed = models.TextField(editable=False, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("numero WhatsApp")
        verbose_name_plural = _("numeri WhatsApp")
        constraints = [
            # One number, one comune: the routing must never have to choose.
            models.UniqueConstraint(fields=["phone_number_id"], name="whatsapp_number_once"),
        ]

    def __str__(self) -> str:
        return self.phone_number_id


class LogEntryComune(models.Model):
    """The comune an entry of the admin's history (Django's LogEntry, which has no comune) was
    written in: a history page shows a comune's staff only the changes made while working in
    their comune (admin_scope.ComuneHistoryOnly). Written beside every LogEntry by
    services.log_entry_comune_record; empty comune: the active comune's, as on every row a
    comune owns (made on a deployment of one comune). An entry with no row here was written
    outside any comune where several are served (or before this table, on a deployment
    already serving several): no comune's staff see it."""

    log_entry = models.OneToOneField(
        "admin.LogEntry",
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="urp_comune",
    )
    comune = comune_owner_field()

    objects = ComuneScopedManager()

    class Meta:
        verbose_name = _("comune di una voce della cronologia")
        verbose_name_plural = _("comuni delle voci della cronologia")

    def __str__(self) -> str:
        return f"{self.log_entry_id} → {self.comune_id or '-'}"
