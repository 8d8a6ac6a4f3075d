"""Settings: `base` reads the environment; `production` hardens them when DEBUG is off."""

from .base import *  # noqa: F403
from .base import DEBUG

if not DEBUG:
    from .production import *  # noqa: F403
