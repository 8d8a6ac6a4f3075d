import re

from django.conf import settings
from django.core.validators import FileExtensionValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from urp_portal.municipality.scope import (
    ComuneScopedManager,
    comune_owner_field,
    current_comune_id,
)

from ..states import (
    TemplateApproval,
    TemplateCategory,
)

# WhatsApp's numbered parameters: {{1}}, {{2}}, ...
PARAMETER_PATTERN = re.compile(r"\{\{\s*(\d+)\s*\}\}")

IMAGE_FILES = FileExtensionValidator(allowed_extensions=["jpg", "jpeg", "png"])


class OwnedByTheScopesComune(models.Model):
    """A row a comune owns (issue #24): its `comune` is taken from the scope it is made in,
    whichever door makes it (a service, the admin's form, the API); empty outside any scope
    (a single comune: the active one's)."""

    comune = comune_owner_field()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs) -> None:
        if self._state.adding and self.comune_id is None:
            self.comune_id = current_comune_id()
        super().save(*args, **kwargs)


class MessageTemplate(OwnedByTheScopesComune):
    """A WhatsApp message template: the only way to start a conversation with a subscriber.
    It lives in its comune's WhatsApp Business Account (its number's WABA): the same name may
    exist in two comuni."""

    name = models.CharField(
        _("nome"),
        max_length=512,
        validators=[
            RegexValidator(
                r"^[a-z0-9_]+$",
                _("Solo lettere minuscole, cifre e trattino basso (regola di WhatsApp)."),
            )
        ],
        help_text=_("Come registrato presso WhatsApp, ad esempio avviso_viabilita."),
    )
    language = models.CharField(_("lingua"), max_length=10, default="it")
    category = models.CharField(
        _("categoria"),
        max_length=20,
        choices=TemplateCategory.choices,
        default=TemplateCategory.UTILITY,
    )
    body = models.TextField(
        _("testo"),
        max_length=1024,
        help_text=_(
            "Parametri numerati {{1}}, {{2}}, ... Formattazione di WhatsApp: *grassetto*, "
            "_corsivo_, ~barrato~."
        ),
    )
    examples = models.JSONField(
        _("valori di esempio"),
        default=list,
        blank=True,
        help_text=_("Un esempio per parametro, nell'ordine: Meta li chiede per la revisione."),
    )
    footer = models.CharField(_("piè di pagina"), max_length=60, blank=True)
    quick_replies = models.JSONField(
        _("risposte rapide"),
        default=list,
        blank=True,
        help_text=_("Testi dei pulsanti di risposta rapida (al massimo 10, 25 caratteri)."),
    )
    header_image = models.FileField(
        _("immagine di intestazione"),
        upload_to="templates/%Y/%m/",
        blank=True,
        validators=[IMAGE_FILES],
    )
    approval_status = models.CharField(
        _("stato di approvazione"),
        max_length=10,
        choices=TemplateApproval.choices,
        default=TemplateApproval.DRAFT,
        db_index=True,
    )
    provider_id = models.CharField(_("id presso il gateway"), max_length=200, blank=True)
    # What the provider last said of it (APPROVED, PENDING, ...): while the text edited here waits
    # as a draft, Meta may still hold the approved version, and its edit limits depend on it.
    provider_status = models.CharField(_("stato presso il fornitore"), max_length=20, blank=True)
    # What was last sent for review, as sent, and when: a verdict is about this text, not about
    # whatever the staff have written since.
    submitted_content = models.JSONField(_("inviato in revisione"), default=dict, blank=True)
    submitted_at = models.DateTimeField(_("inviato in revisione il"), null=True, blank=True)
    # When an approved template was edited at the provider (Meta allows one edit in 24 hours and
    # ten in 30 days): ISO times, the last 30 days' only.
    approved_edits = models.JSONField(
        _("modifiche di un modello approvato"), default=list, blank=True
    )
    rejection_reason = models.CharField(_("motivo del rifiuto"), max_length=500, blank=True)
    # Meta may move an approved template to another category (template_category_update): the
    # category it had before, for the staff to see why a template now costs and routes otherwise.
    previous_category = models.CharField(
        _("categoria precedente"), max_length=20, choices=TemplateCategory.choices, blank=True
    )
    quality = models.CharField(_("qualità secondo Meta"), max_length=10, blank=True)
    status_changed_at = models.DateTimeField(_("stato cambiato il"), null=True, blank=True)
    status_changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("stato cambiato da"),
    )
    synced_at = models.DateTimeField(_("sincronizzato il"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ComuneScopedManager()
    # A manager (the cross-comune one), declared after the default: ruff takes it for a field.
    all_comuni = models.Manager()  # noqa: DJ012

    class Meta:
        verbose_name = _("modello di messaggio")
        verbose_name_plural = _("modelli di messaggio")
        ordering = ["name", "language"]
        permissions = [("approve_messagetemplate", _("Può approvare i modelli di messaggio"))]
        constraints = [
            # One per name and language in a comune (its WABA's rule); the rows without a
            # comune are the active comune's, one per name and language among them too.
            models.UniqueConstraint(
                fields=["comune", "name", "language"], name="template_name_language_comune"
            ),
            models.UniqueConstraint(
                fields=["name", "language"],
                condition=Q(comune__isnull=True),
                name="template_name_language",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.language})"

    @property
    def parameter_numbers(self) -> list[int]:
        return sorted({int(n) for n in PARAMETER_PATTERN.findall(self.body)})

    @property
    def parameter_count(self) -> int:
        return len(self.parameter_numbers)

    @property
    def is_approved(self) -> bool:
        return self.approval_status == TemplateApproval.APPROVED
