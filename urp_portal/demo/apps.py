from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    """The demo: seeds a realistic data set and runs every process at once (`make demo`).
    Part of the composition root, so it may name every app."""

    name = "urp_portal.demo"
    label = "demo"
    verbose_name = _("Demo")
