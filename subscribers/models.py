from django.db import models
from django.utils.translation import gettext_lazy as _

from .states import SubscriberStatus


class Subscriber(models.Model):
    """One per WhatsApp number: a citizen who wrote, subscribed, or both."""

    # E.164 ("+39..."), or WhatsApp's username-based user id where it gives no number. NULL once
    # anonymised: unique numbers, but any count of erased ones.
    number = models.CharField(  # noqa: DJ001
        _("numero WhatsApp"), max_length=100, unique=True, null=True
    )
    wa_user_id = models.CharField(_("user id WhatsApp"), max_length=100, blank=True)
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
    first_contact_at = models.DateTimeField(_("primo contatto"), null=True, blank=True)
    # The 24-hour window for free text (DESIGN.md) is read from this.
    last_inbound_at = models.DateTimeField(_("ultimo messaggio ricevuto"), null=True, blank=True)
    subscribed_at = models.DateTimeField(_("iscritto il"), null=True, blank=True, db_index=True)
    unsubscribed_at = models.DateTimeField(_("cancellato il"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("cittadino")
        verbose_name_plural = _("cittadini")
        ordering = ["-last_inbound_at"]

    def __str__(self) -> str:
        full_name = f"{self.first_name} {self.last_name}".strip()
        return full_name or self.profile_name or self.number or str(_("anonimo"))
