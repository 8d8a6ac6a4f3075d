from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MunicipalityConfig(AppConfig):
    name = "urp_portal.municipality"
    label = "municipality"
    verbose_name = _("Configurazione del comune")

    def ready(self) -> None:
        from . import receivers  # noqa: F401
