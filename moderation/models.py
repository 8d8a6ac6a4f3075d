from django.db import models
from django.utils.translation import gettext_lazy as _


class PolicyCategory(models.Model):
    """One rule of the published moderation policy; every moderation action names one or more."""

    code = models.SlugField(_("codice"), unique=True)
    label = models.CharField(_("nome"), max_length=120)
    policy_text = models.TextField(_("testo della policy"))
    # Serious categories are the ones the notices say may be reported to the judicial authorities.
    may_be_reported = models.BooleanField(_("segnalabile alle autorità"), default=False)
    position = models.PositiveSmallIntegerField(_("ordine"), default=0)

    class Meta:
        verbose_name = _("categoria della policy")
        verbose_name_plural = _("categorie della policy")
        ordering = ["position", "code"]

    def __str__(self) -> str:
        return self.label
