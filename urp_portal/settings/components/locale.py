"""Languages, translations and time zone."""

from django.utils.translation import gettext_lazy as _

from urp_portal.settings.env import BASE_DIR

LANGUAGE_CODE = "it"
LANGUAGES = [("it", _("Italiano")), ("en", _("Inglese"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Rome"
USE_I18N = True
USE_TZ = True
