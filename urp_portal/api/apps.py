from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    """The API's conventions (errors, idempotency, pagination, throttles, schema); each resource's
    views live in its own app's api.py and are named in urls.py here."""

    name = "urp_portal.api"
    label = "api"
    verbose_name = _("API")

    def ready(self) -> None:
        # Registers the token scheme with drf-spectacular (extensions register on import).
        from . import schema  # noqa: F401
        from .receivers import connect

        connect()
