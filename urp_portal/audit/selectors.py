import csv
import json
from collections.abc import Iterable, Iterator

from django.db.models import QuerySet

from .models import AuditEvent

CSV_COLUMNS = [
    ("at", "quando (UTC)"),
    ("actor_label", "chi"),
    ("actor_id", "id utente"),
    ("action", "azione"),
    ("channel", "canale"),
    ("target_type", "tipo di oggetto"),
    ("target_id", "id oggetto"),
    ("target_repr", "oggetto"),
    ("ip", "indirizzo IP"),
    ("user_agent", "browser"),
    ("request_id", "id richiesta"),
    ("details", "dettagli"),
]


def audit_events_for_target(*, target_type: str, target_id: str) -> QuerySet[AuditEvent]:
    return AuditEvent.objects.filter(target_type=target_type, target_id=str(target_id))


class _Echo:
    def write(self, value: str) -> str:
        return value


def _cell(value: object) -> str:
    text = "" if value is None else str(value)
    # A spreadsheet would run a cell starting with these as a formula (CSV injection).
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text
    return text


def audit_events_csv(events: Iterable[AuditEvent]) -> Iterator[str]:
    """The events as CSV lines, streamed: the trail can be long."""
    writer = csv.writer(_Echo())
    yield writer.writerow([title for _field, title in CSV_COLUMNS])
    for event in events:
        row = []
        for field, _title in CSV_COLUMNS:
            value = getattr(event, field)
            if field == "at":
                value = value.isoformat()
            elif field == "details":
                value = json.dumps(value, ensure_ascii=False) if value else ""
            row.append(_cell(value))
        yield writer.writerow(row)
