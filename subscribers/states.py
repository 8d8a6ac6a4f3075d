from django.db import models
from django.utils.translation import gettext_lazy as _


class SubscriberStatus(models.TextChoices):
    # Wrote to the URP at least once; not on the broadcast list.
    CONTACT = "contact", _("ha scritto")
    # On the broadcast list.
    SUBSCRIBED = "subscribed", _("iscritto")
    # Left the list; personal data is erased or anonymised per the comune's retention setting.
    UNSUBSCRIBED = "unsubscribed", _("cancellato")
    # Blocked by a moderator: stored, no ticket, no reply, no broadcast.
    BLOCKED = "blocked", _("bloccato")
    # Personal data gone; the row stays so statistics and the consent ledger still add up.
    ANONYMISED = "anonymised", _("anonimizzato")
