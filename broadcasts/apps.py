from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BroadcastsConfig(AppConfig):
    name = "broadcasts"
    verbose_name = _("Liste broadcast")

    def ready(self) -> None:
        from . import signals  # noqa: F401 (connects the receivers)
