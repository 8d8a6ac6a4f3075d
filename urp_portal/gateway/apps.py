from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GatewayConfig(AppConfig):
    name = "urp_portal.gateway"
    label = "gateway"
    verbose_name = _("Gateway WhatsApp")

    def ready(self) -> None:
        # The worker run's name, heartbeat and recovery loop (Celery signals).
        from . import worker_life  # noqa: F401
