from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SimulatorConfig(AppConfig):
    name = "urp_portal.simulator"
    label = "simulator"
    verbose_name = _("Simulatore WhatsApp")

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the system check)
        from .receivers import connect

        connect()
