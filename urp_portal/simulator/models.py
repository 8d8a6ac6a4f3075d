from django.db import models
from django.utils.translation import gettext_lazy as _

from .states import Direction, MediaOrigin, SimulatedStatus


class SimulatedMedia(models.Model):
    """A media file the fake Graph API can serve (`GET /{media-id}` then its URL)."""

    # Digits, as Meta's media ids.
    media_id = models.CharField(max_length=40, unique=True)
    file = models.FileField(upload_to="simulator/%Y/%m/")
    mime_type = models.CharField(max_length=100)
    sha256 = models.CharField(max_length=64)
    file_size = models.PositiveIntegerField()
    # Shown only (e.g. a document's name); never used as a path.
    filename = models.CharField(max_length=255, blank=True)
    origin = models.CharField(max_length=10, choices=MediaOrigin.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("file simulato")
        verbose_name_plural = _("file simulati")

    def __str__(self) -> str:
        return f"{self.media_id} {self.mime_type}"


class SimulatedMessage(models.Model):
    """One message of a simulated chat: what a citizen wrote, or what the product "sent"."""

    direction = models.CharField(_("direzione"), max_length=3, choices=Direction.choices)
    # E.164 with "+"; the wire format (wa_id) is the same digits without it.
    number = models.CharField(_("numero del cittadino"), max_length=20)
    profile_name = models.CharField(_("nome del profilo"), max_length=200, blank=True)
    # The business number of the chat (its phone number id): written to (IN), sent from (OUT).
    # Empty: the deployment's own (WHATSAPP_PHONE_NUMBER_ID); another: a comune's bound number,
    # so the demo's several comuni each have their own chats with the same citizen.
    business_number = models.CharField(_("numero del comune (id)"), max_length=64, blank=True)
    # Meta's message type: text, template, image, audio, video, document, sticker.
    kind = models.CharField(_("tipo"), max_length=12)
    body = models.TextField(_("testo"), blank=True)
    media = models.ForeignKey(
        SimulatedMedia, null=True, blank=True, on_delete=models.SET_NULL, related_name="messages"
    )
    # An outbound media sent by link rather than by uploaded id.
    media_link = models.URLField(max_length=1000, blank=True)
    is_voice = models.BooleanField(default=False)
    wamid = models.CharField(max_length=200, unique=True)
    status = models.CharField(
        _("stato"), max_length=10, choices=SimulatedStatus.choices, default=SimulatedStatus.PENDING
    )
    # The request body as the fake Graph API received it (OUT), for inspection in the admin.
    payload = models.JSONField(default=dict, blank=True)
    # Why the product's webhook did not take it (IN), as the last attempt saw it.
    error = models.TextField(_("errore"), blank=True)
    created_at = models.DateTimeField(_("creato il"), auto_now_add=True)
    status_changed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("messaggio simulato")
        verbose_name_plural = _("messaggi simulati")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["number", "created_at"], name="simulated_chat")]

    def __str__(self) -> str:
        return f"{self.get_direction_display()} {self.number} {self.kind}"


class SimulatedTemplate(models.Model):
    """A template submitted to the fake Graph API (`POST /{WABA_ID}/message_templates`),
    reviewed like Meta: approved after a short delay, rejected when its name asks for it."""

    template_id = models.CharField(max_length=40, unique=True)
    name = models.CharField(max_length=512)
    language = models.CharField(max_length=20)
    category = models.CharField(max_length=20)
    status = models.CharField(max_length=20, default="PENDING")
    rejected_reason = models.CharField(max_length=200, blank=True)
    components = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("modello simulato")
        verbose_name_plural = _("modelli simulati")
        ordering = ["name", "language"]

    def __str__(self) -> str:
        return f"{self.name} ({self.language}) {self.status}"
