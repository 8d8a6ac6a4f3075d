from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OperationsConfig(AppConfig):
    """Part of the composition root, so its checks may name every app."""

    name = "urp_portal.operations"
    label = "operations"
    verbose_name = _("Esercizio")
