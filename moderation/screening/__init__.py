"""Message screening for the moderation app: pure Python, no Django, no database.

    from moderation.screening import ScreeningConfig, build_screener
    screen = build_screener(ScreeningConfig(allowed_domains=frozenset({"comune.cagliari.it"})))
    screen("Siete dei coglioni")  # [Flag(rule="lexicon", category="offensive", ...)]

See screener.py for the rules and identifiers.py for how a citizen's own data is told apart
from a third party's.
"""

from .config import (
    DEFAULT_CONFIG,
    DEFAULT_FUNDRAISING_PHRASES,
    DEFAULT_INSULTS,
    DEFAULT_PROMOTION_PHRASES,
    ScreeningConfig,
)
from .flags import CATEGORY_CODES, Flag
from .screener import Screener, build_screener, screen_text

__all__ = [
    "CATEGORY_CODES",
    "DEFAULT_CONFIG",
    "DEFAULT_FUNDRAISING_PHRASES",
    "DEFAULT_INSULTS",
    "DEFAULT_PROMOTION_PHRASES",
    "Flag",
    "Screener",
    "ScreeningConfig",
    "build_screener",
    "screen_text",
]
