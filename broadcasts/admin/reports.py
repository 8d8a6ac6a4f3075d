"""A campaign's report: the deliveries as CSV and the progress chart."""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections.abc import Iterator

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

_CSV_COLUMNS = [
    ("number", _("numero")),
    ("state", _("consegna")),
    ("message_state", _("stato del messaggio")),
    ("handed_off_at", _("affidato al gateway")),
    ("sent_at", _("inviato")),
    ("delivered_at", _("consegnato")),
    ("read_at", _("letto")),
    ("error_code", _("codice di errore")),
    ("error_message", _("errore")),
]


class _Echo:
    def write(self, value: str) -> str:
        return value


def _csv_cell(value) -> str:
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M:%S")
    text = "" if value is None else str(value)
    # A cell starting with these would be run as a formula by a spreadsheet.
    if text[:1] in ("=", "+", "-", "@"):
        text = "'" + text
    return text


def _csv_lines(rows: Iterator[dict]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow([str(label) for _key, label in _CSV_COLUMNS])
    for row in rows:
        yield writer.writerow([_csv_cell(row[key]) for key, _label in _CSV_COLUMNS])


def _chart(series: list[tuple[float, int]], recipients: int) -> dict:
    """The reach curve as SVG points in a 600x200 box (time across, recipients up)."""
    width, height = 600, 200
    if not series or recipients == 0:
        return {"points": "", "width": width, "height": height, "max_seconds": 0}
    max_seconds = max(series[-1][0], 1.0)
    points = " ".join(
        f"{width * seconds / max_seconds:.1f},{height - height * reached / recipients:.1f}"
        for seconds, reached in series
    )
    return {
        "points": points,
        "width": width,
        "height": height,
        "max_seconds": round(max_seconds),
        "json": json.dumps(series),
    }
