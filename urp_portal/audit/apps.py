from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "urp_portal.audit"
    label = "audit"
    verbose_name = _("Registro degli accessi")

    def ready(self) -> None:
        from . import receivers  # noqa: F401
