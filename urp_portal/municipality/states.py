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
