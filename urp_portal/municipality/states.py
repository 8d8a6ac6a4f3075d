from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class ChannelMode(models.TextChoices):
    # Citizens write text, photos, voice notes and short videos (Cagliari, Assemini).
    TWO_WAY_MEDIA = "two_way_media", _("Bidirezionale, con foto, vocali e video")
    # A text-only desk: media get the configured "text only" answer (Ancona).
    TWO_WAY_TEXT = "two_way_text", _("Bidirezionale, solo testo")
    # The number only sends broadcasts: anything else gets the other channels (San Giuliano).
    BROADCAST_ONLY = "broadcast_only", _("Solo liste broadcast")


class KeywordKind(models.TextChoices):
    # A context of their own: "Cancellazione" is also the erasure of a citizen's data.
    SUBSCRIBE = "subscribe", pgettext_lazy("keyword kind", "Iscrizione")
    UNSUBSCRIBE = "unsubscribe", pgettext_lazy("keyword kind", "Cancellazione")


class Weekday(models.IntegerChoices):
    # Python's date.weekday(): Monday is 0.
    MONDAY = 0, _("lunedì")
    TUESDAY = 1, _("martedì")
    WEDNESDAY = 2, _("mercoledì")
    THURSDAY = 3, _("giovedì")
    FRIDAY = 4, _("venerdì")
    SATURDAY = 5, _("sabato")
    SUNDAY = 6, _("domenica")


class FirstContactNotice(models.TextChoices):
    """How the privacy notice (GDPR art. 13) reaches someone who writes for the first time
    without subscribing: their number and words are personal data all the same."""

    # Not sent at first contact (only with the welcome of a subscription).
    OFF = "off", _("non inviata al primo contatto")
    # At once, before anything else is asked or answered (before Assemini's identity questions).
    AT_FIRST_MESSAGE = "first_message", _("subito, al primo messaggio")
    # Together with the first message the URP sends back (an automatic answer or an operator's).
    WITH_FIRST_REPLY = "first_reply", _("insieme alla prima risposta")


class ElsewhereHandling(models.TextChoices):
    """What happens to a request that belongs to another channel (reports, access to records)."""

    # Nothing: the URP takes them on WhatsApp (Cagliari takes reports).
    ACCEPTED = "accepted", _("accettate su WhatsApp")
    # The operator sees a suggestion and redirects with one click.
    SUGGEST = "suggest", _("suggerimento all'operatore")
    # The citizen gets the official-channel text at once; no ticket stays open.
    REDIRECT = "redirect", _("rinvio automatico ai canali ufficiali")


class SurveyScale(models.TextChoices):
    # WhatsApp's reply buttons are at most three (Cloud API, interactive "button"): three levels.
    THREE_LEVELS = "three", _("tre livelli")
