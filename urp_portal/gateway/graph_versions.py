"""Meta's Graph API versions and the day Meta stops serving each: `check_config` warns when the
configured WHATSAPP_GRAPH_URL is within 90 days of its end.

Source: developers.facebook.com/docs/graph-api/changelog/versions/ (table "Graph API", columns
"Release Date" and "Expiration Date"), read on 5 Dec 2026. Add a line when Meta publishes the
expiration of a newer version; a version missing here is reported as unknown, never as fine.
"""

from __future__ import annotations

import datetime as dt
import re

# The default WHATSAPP_GRAPH_URL's version: the newest with a published end of support far ahead.
DEFAULT_GRAPH_VERSION = "v25.0"
DEFAULT_GRAPH_URL = f"https://graph.facebook.com/{DEFAULT_GRAPH_VERSION}"

READ_ON = dt.date(2026, 12, 5)
SOURCE = "https://developers.facebook.com/docs/graph-api/changelog/versions/"

# version -> (released, end of support); None: Meta has not published the end yet.
GRAPH_VERSIONS: dict[str, tuple[dt.date, dt.date | None]] = {
    "v26.0": (dt.date(2026, 7, 29), None),
    "v25.0": (dt.date(2026, 2, 18), dt.date(2028, 7, 29)),
    "v24.0": (dt.date(2025, 10, 8), dt.date(2028, 2, 18)),
    "v23.0": (dt.date(2025, 5, 29), dt.date(2027, 10, 8)),
    "v22.0": (dt.date(2025, 1, 21), dt.date(2027, 5, 20)),
    "v21.0": (dt.date(2024, 10, 2), dt.date(2027, 1, 21)),
    "v20.0": (dt.date(2024, 5, 21), dt.date(2026, 9, 24)),
    "v19.0": (dt.date(2024, 1, 23), dt.date(2026, 5, 21)),
    "v18.0": (dt.date(2023, 9, 12), dt.date(2026, 1, 26)),
    "v17.0": (dt.date(2023, 5, 23), dt.date(2025, 9, 12)),
}

WARN_BEFORE = dt.timedelta(days=90)

_VERSION_IN_URL = re.compile(r"/(v\d+\.\d+)(?:/|$)")


def graph_version_of(url: str) -> str:
    """The "vNN.N" of a Graph base URL, or "" when it names none."""
    match = _VERSION_IN_URL.search(url.rstrip("/") + "/")
    return match.group(1) if match else ""


def graph_version_end(version: str) -> dt.date | None:
    """The day Meta stops serving `version`; None when unknown or not yet announced."""
    known = GRAPH_VERSIONS.get(version)
    return known[1] if known else None
