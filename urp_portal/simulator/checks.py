"""When the simulator is mounted, and the system check that keeps it out of production."""

from django.conf import settings
from django.core import checks


def simulator_enabled() -> bool:
    """True when the fake WhatsApp API and the citizen's phone are mounted under /simulator/.

    DEBUG is asked again here, not only in the settings: a settings module that turned the flag on
    by mistake still does not publish an unauthenticated fake Graph API in production."""
    return bool(getattr(settings, "SIMULATOR_ENABLED", False) and settings.DEBUG)


@checks.register(checks.Tags.security, deploy=False)
def check_simulator_off_in_production(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    if getattr(settings, "SIMULATOR_ENABLED", False) and not settings.DEBUG:
        return [
            checks.Error(
                "SIMULATOR_ENABLED is on while DEBUG is off.",
                hint="The WhatsApp simulator is for the demo and tests only: unset "
                "SIMULATOR_ENABLED in production.",
                id="simulator.E001",
            )
        ]
    return []
