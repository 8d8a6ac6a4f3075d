"""Gathering the figures of a year or a month from each app's selectors."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from broadcasts.selectors import broadcast_reach
from subscribers.models import ConsentRecord
from subscribers.states import ConsentKind
from tickets.figures import (
    Satisfaction,
    TicketFigures,
    satisfaction_breakdown,
    satisfaction_total,
    surveys_between,
    ticket_figures,
)

ROME = ZoneInfo("Europe/Rome")


@dataclass
class Period:
    year: int
    month: int | None = None

    @property
    def start(self) -> dt.datetime:
        return dt.datetime(self.year, self.month or 1, 1, tzinfo=ROME)

    @property
    def end(self) -> dt.datetime:
        if self.month is None:
            return dt.datetime(self.year + 1, 1, 1, tzinfo=ROME)
        if self.month == 12:
            return dt.datetime(self.year + 1, 1, 1, tzinfo=ROME)
        return dt.datetime(self.year, self.month + 1, 1, tzinfo=ROME)

    @property
    def label(self) -> str:
        return f"{self.year}-{self.month:02d}" if self.month else str(self.year)


@dataclass
class Report:
    period: Period
    tickets: TicketFigures
    satisfaction: Satisfaction
    satisfaction_by: dict[str, list[dict]]
    subscribers_gained: int
    subscribers_lost: int
    broadcasts: dict[str, int]
    months: list[dict]


def _broadcasts(period: Period, now: dt.datetime) -> dict[str, int]:
    """Broadcasts started in the period (up to now), and how far they reached."""
    last_day = (min(period.end, now) - dt.timedelta(microseconds=1)).astimezone(ROME).date()
    days = (last_day - period.start.date()).days + 1
    if days <= 0:
        return {"campaigns": 0, "recipients": 0, "reached": 0, "read": 0}
    points = broadcast_reach(days=days, today=last_day)
    return {
        field: sum(getattr(point, field) for point in points)
        for field in ("campaigns", "recipients", "reached", "read")
    }


def report_for(*, period: Period, now: dt.datetime | None = None) -> Report:
    now = now or timezone.now()
    surveys = surveys_between(period.start, period.end)
    ledger = ConsentRecord.objects.filter(at__gte=period.start, at__lt=period.end).aggregate(
        gained=Count("pk", filter=Q(kind=ConsentKind.BROADCAST_OPT_IN)),
        lost=Count("pk", filter=Q(kind=ConsentKind.BROADCAST_OPT_OUT)),
    )
    months = []
    if period.month is None:
        for month in range(1, 13):
            sub = Period(period.year, month)
            if sub.start > now:
                break
            figures = ticket_figures(start=sub.start, end=sub.end, now=now)
            months.append(
                {
                    "month": sub.label,
                    "opened": figures.opened,
                    "resolved": figures.resolved,
                    "within_term_pct": figures.within_term_pct,
                    "median_first_response": figures.median_first_response,
                    "satisfaction": satisfaction_total(surveys_between(sub.start, sub.end)),
                }
            )
    return Report(
        period=period,
        tickets=ticket_figures(start=period.start, end=period.end, now=now),
        satisfaction=satisfaction_total(surveys),
        satisfaction_by=satisfaction_breakdown(surveys),
        subscribers_gained=ledger["gained"],
        subscribers_lost=ledger["lost"],
        broadcasts=_broadcasts(period, now),
        months=months,
    )


def duration_text(value: dt.timedelta | None) -> str:
    if value is None:
        return "—"
    minutes = int(value.total_seconds() // 60)
    if minutes < 60:
        return _("%(n)d min") % {"n": minutes}
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return _("%(h)d h %(m)02d min") % {"h": hours, "m": minutes}
    return _("%(d)d giorni") % {"d": hours // 24}


def _pct(value: int | None) -> str:
    return "—" if value is None else f"{value}%"


def report_rows(report: Report) -> list[list[object]]:
    """The report as rows (section, item, value...), for the CSV file and the spreadsheet."""
    t = report.tickets
    s = report.satisfaction
    rows: list[list[object]] = [
        [_("Relazione del servizio WhatsApp dell'URP"), report.period.label],
        [],
        [_("Richieste"), _("aperte"), t.opened],
        [_("Richieste"), _("risolte"), t.resolved],
        [_("Richieste"), _("con prima risposta"), t.answered],
        [_("Richieste"), _("risposte nei termini"), t.answered_within_term],
        [_("Richieste"), _("risposte nei termini (%)"), _pct(t.within_term_pct)],
        [_("Richieste"), _("prima risposta (mediana)"), duration_text(t.median_first_response)],
        [_("Richieste"), _("rinviate ai canali ufficiali"), t.redirected_elsewhere],
    ]
    for title, items in (
        (_("Per categoria"), t.by_category),
        (_("Per servizio"), t.by_service),
        (_("Per canale"), t.by_kind),
    ):
        rows += [[title, item["group"], item["n"]] for item in items]
    rows += [
        [_("Gradimento"), _("questionari inviati"), s.sent],
        [_("Gradimento"), _("risposte"), s.answered],
        [_("Gradimento"), _("tasso di risposta (%)"), _pct(s.response_pct)],
        [_("Gradimento"), _("media (1-3)"), "—" if s.average is None else s.average],
        [_("Gradimento"), _("soddisfatti (%)"), _pct(s.satisfied_pct)],
    ]
    titles = {
        "month": _("Gradimento per mese"),
        "service": _("Gradimento per servizio"),
        "category": _("Gradimento per categoria"),
        "operator": _("Gradimento per operatore"),
    }
    for name, items in report.satisfaction_by.items():
        rows += [
            [
                titles[name],
                item["group"],
                item["answered"],
                "—" if item["average"] is None else item["average"],
                _pct(item["satisfied_pct"]),
            ]
            for item in items
        ]
    b = report.broadcasts
    rows += [
        [_("Iscritti alla lista broadcast"), _("nuove iscrizioni"), report.subscribers_gained],
        [_("Iscritti alla lista broadcast"), _("cancellazioni"), report.subscribers_lost],
        [_("Invii broadcast"), _("invii"), b["campaigns"]],
        [_("Invii broadcast"), _("destinatari"), b["recipients"]],
        [_("Invii broadcast"), _("raggiunti"), b["reached"]],
        [_("Invii broadcast"), _("letti"), b["read"]],
    ]
    for month in report.months:
        rows.append(
            [
                _("Per mese"),
                month["month"],
                month["opened"],
                month["resolved"],
                _pct(month["within_term_pct"]),
                duration_text(month["median_first_response"]),
                _pct(month["satisfaction"].satisfied_pct),
            ]
        )
    return rows
