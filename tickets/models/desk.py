"""The desk around the conversations: forwards, canned answers, routing rules, presence, surveys."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from urp_portal.gateway.models import OutboundMessage
from urp_portal.municipality.scope import (
    AllComuniManager,
    ComuneScopedManager,
    comune_owner_field,
)

from ..states import (
    ElsewhereKind,
    SurveyScore,
    SurveyState,
)
from .conversation import MunicipalService, Ticket


class CannedAnswer(models.Model):
    """A ready answer, with placeholders: {nome}, {numero}, {comune}, {canali}, {orari}."""

    # Each comune writes its own; titles are unique within it. Empty: the active comune's.
    comune = comune_owner_field(db_index=False)
    title = models.CharField(_("titolo"), max_length=120)
    text = models.TextField(
        _("testo"),
        help_text=_(
            "Segnaposto: {nome} (il nome del cittadino), {numero} (la richiesta), {comune}, "
            "{canali} (gli altri canali), {orari} (gli orari del servizio)."
        ),
    )
    is_active = models.BooleanField(_("attiva"), default=True)

    objects = ComuneScopedManager()
    all_comuni = AllComuniManager()

    class Meta:
        verbose_name = _("risposta predefinita")
        verbose_name_plural = _("risposte predefinite")
        ordering = ["title"]
        constraints = [
            models.UniqueConstraint(fields=["comune", "title"], name="canned_answer_title_once"),
            models.UniqueConstraint(
                fields=["title"],
                condition=Q(comune__isnull=True),
                name="canned_answer_title_once_unowned",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class Forward(models.Model):
    """A ticket sent to a municipal service, with the note for it and, later, its answer."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="forwards")
    service = models.ForeignKey(MunicipalService, on_delete=models.PROTECT, related_name="forwards")
    note = models.TextField(_("nota per il servizio"), blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("inoltrata da"),
    )
    at = models.DateTimeField(_("inoltrata il"))
    # The email link's token. The link alone opens nothing: the reader must still log in as staff
    # of this service; the token only names the forward without guessable ids.
    token = models.CharField(max_length=64, unique=True, editable=False)
    answer = models.TextField(_("risposta del servizio"), blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("risposta di"),
    )
    answered_at = models.DateTimeField(_("risposta il"), null=True, blank=True)

    # The comune's through its ticket: an email link of one comune opens nothing in another's.
    objects = ComuneScopedManager("ticket__comune")
    all_comuni = AllComuniManager()

    class Meta:
        verbose_name = _("inoltro")
        verbose_name_plural = _("inoltri")
        ordering = ["-at"]
        indexes = [models.Index(fields=["service", "ticket"], name="forward_service_ticket")]

    def __str__(self) -> str:
        return f"{self.ticket} → {self.service}"


class ServiceKeywordRule(models.Model):
    """An administrator's hint: a word in a request that points to a service."""

    service = models.ForeignKey(
        MunicipalService,
        on_delete=models.CASCADE,
        related_name="keyword_rules",
        verbose_name=_("servizio"),
    )
    keyword = models.CharField(
        _("parola"), max_length=60, help_text=_("Una parola, senza distinzione di maiuscole.")
    )
    weight = models.PositiveSmallIntegerField(_("peso"), default=5)

    # The comune's through its service (a column of its own could disagree with the service's).
    objects = ComuneScopedManager("service__comune")
    all_comuni = AllComuniManager()

    class Meta:
        verbose_name = _("regola di smistamento")
        verbose_name_plural = _("regole di smistamento")
        ordering = ["service", "keyword"]
        constraints = [
            models.UniqueConstraint(fields=["service", "keyword"], name="service_keyword_once"),
        ]

    def __str__(self) -> str:
        return f"{self.keyword} → {self.service}"


class ServiceWordCount(models.Model):
    """Learnt from past forwards: how many tickets containing `word` went to `service`."""

    service = models.ForeignKey(
        MunicipalService, on_delete=models.CASCADE, related_name="word_counts"
    )
    word = models.CharField(max_length=60)
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["service", "word"], name="service_word_once"),
        ]
        indexes = [models.Index(fields=["word"], name="service_word_lookup")]

    def __str__(self) -> str:
        return f"{self.word} → {self.service} ({self.count})"


class ConversationPresence(models.Model):
    """Who has a conversation open, and who is typing in it: one row per person and ticket,
    touched by each console's poll (tickets/live). Kept in the database, not in a web process's
    memory, so every gunicorn process and every machine sees the same colleagues."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="presences")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    seen_at = models.DateTimeField()
    # Set while the person's reply box changed in the last few seconds.
    typing_at = models.DateTimeField(null=True, blank=True)

    # The comune's through its ticket: a console scoped to one comune never reads or refreshes
    # a presence on another's conversation (a help desk of two comuni switching between them).
    objects = ComuneScopedManager("ticket__comune")
    all_comuni = AllComuniManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["ticket", "user"], name="presence_once_per_ticket"),
        ]
        indexes = [models.Index(fields=["ticket", "seen_at"], name="presence_ticket_seen")]

    def __str__(self) -> str:
        return f"{self.user} @ {self.ticket}"


class ElsewhereRule(models.Model):
    """A phrase that marks a request belonging to another channel (reports, access to records),
    edited by an administrator like the moderation lexicon. Words match whole, capitals and
    accents ignored; a word ending in * matches its beginning ("buc*": buca, buche)."""

    kind = models.CharField(_("tipo"), max_length=20, choices=ElsewhereKind.choices)
    phrase = models.CharField(
        _("frase"),
        # A word list ("strada|marciapiede|... + rotto|...") is a long line.
        max_length=1500,
        help_text=_(
            "Parole consecutive (es. «accesso agli atti», «lampion* spent*»); * alla fine di "
            "una parola ne accetta ogni finale."
        ),
    )
    # An exception: the phrase shows the message is NOT of this kind ("grazie della
    # segnalazione", "stato della mia segnalazione").
    is_exception = models.BooleanField(_("eccezione"), default=False)
    is_active = models.BooleanField(_("attiva"), default=True)
    # Each comune edits its own rules (a comune added by load_preset --comune gets a copy of
    # the deployment's, services/catalogue.py). Empty: the active comune's.
    comune = comune_owner_field(db_index=False)

    objects = ComuneScopedManager()
    all_comuni = AllComuniManager()

    class Meta:
        verbose_name = _("regola per altri canali")
        verbose_name_plural = _("regole per altri canali")
        ordering = ["kind", "is_exception", "phrase"]
        constraints = [
            models.UniqueConstraint(
                fields=["comune", "kind", "phrase", "is_exception"], name="elsewhere_rule_once"
            ),
            models.UniqueConstraint(
                fields=["kind", "phrase", "is_exception"],
                condition=Q(comune__isnull=True),
                name="elsewhere_rule_once_unowned",
            ),
        ]

    def __str__(self) -> str:
        return self.phrase


class SatisfactionSurvey(models.Model):
    """The one satisfaction question of a resolved ticket and the citizen's answer."""

    ticket = models.OneToOneField(
        Ticket, on_delete=models.CASCADE, related_name="survey", verbose_name=_("richiesta")
    )
    state = models.CharField(
        _("stato"), max_length=12, choices=SurveyState.choices, default=SurveyState.SENT
    )
    sent_at = models.DateTimeField(_("inviata il"), db_index=True)
    outbound = models.ForeignKey(
        OutboundMessage, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    score = models.PositiveSmallIntegerField(
        _("valutazione"), choices=SurveyScore.choices, null=True, blank=True
    )
    answered_at = models.DateTimeField(_("risposta il"), null=True, blank=True)
    comment = models.TextField(_("commento"), blank=True)
    commented_at = models.DateTimeField(_("commento il"), null=True, blank=True)
    # Its ticket's comune, copied when it is sent: the comune's figures (the home page, the
    # report, /api/v1/stats/) read its own surveys from (comune, sent_at) without a join.
    # Empty: the active comune's.
    comune = comune_owner_field(db_index=False)

    objects = ComuneScopedManager()
    all_comuni = AllComuniManager()

    class Meta:
        verbose_name = _("questionario di gradimento")
        verbose_name_plural = _("questionari di gradimento")
        ordering = ["-sent_at"]
        indexes = [models.Index(fields=["comune", "sent_at"], name="survey_comune_sent")]

    def __str__(self) -> str:
        return f"{self.ticket} {self.get_state_display()}"
