"""The comune's calendar: when the URP is open, and working-day arithmetic for deadlines.

Working days are the days with at least one office slot that are neither a public holiday (Italian
national holidays, the province's patron day where configured, the comune's own patron day) nor an
ad-hoc closure.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays as holidays_lib
from django.utils.translation import gettext as _

from .states import Weekday

ROME = ZoneInfo("Europe/Rome")
_SEARCH_DAYS = 400


@dataclass(frozen=True)
class Slot:
    weekday: int
    opens_at: dt.time
    closes_at: dt.time


@dataclass(frozen=True)
class ClosedDays:
    start: dt.date
    end: dt.date
    reason: str


@lru_cache(maxsize=64)
def _public_holidays(province: str, year: int) -> dict[dt.date, str]:
    found = holidays_lib.country_holidays("IT", subdiv=province or None, years=year, language="it")
    return dict(found)


class ComuneCalendar:
    def __init__(
        self,
        *,
        slots: list[Slot],
        closures: list[ClosedDays] = (),  # type: ignore[assignment]
        province: str = "",
        patron_day: tuple[int, int] | None = None,
        patron_name: str = "",
    ) -> None:
        self._slots_by_weekday: dict[int, list[Slot]] = defaultdict(list)
        for slot in sorted(slots, key=lambda s: (s.weekday, s.opens_at)):
            self._slots_by_weekday[slot.weekday].append(slot)
        self._closures = list(closures)
        self._province = province
        self._patron_day = patron_day
        self._patron_name = patron_name

    @classmethod
    def for_municipality(cls, municipality) -> ComuneCalendar:
        patron = None
        if municipality.patron_day and municipality.patron_month:
            patron = (municipality.patron_month, municipality.patron_day)
        return cls(
            slots=[
                Slot(s.weekday, s.opens_at, s.closes_at) for s in municipality.office_slots.all()
            ],
            closures=[
                ClosedDays(c.start_date, c.end_date, c.reason) for c in municipality.closures.all()
            ],
            province=municipality.holiday_province,
            patron_day=patron,
            patron_name=municipality.patron_saint,
        )

    # --- days -----------------------------------------------------------------------------------
    def closed_reason(self, day: dt.date) -> str | None:
        """Why the URP is closed all day on `day`, or None if it is a day like any other."""
        public = _public_holidays(self._province, day.year).get(day)
        if public:
            return public
        if self._patron_day and (day.month, day.day) == self._patron_day:
            return self._patron_name or _("Festa patronale")
        for closure in self._closures:
            if closure.start <= day <= closure.end:
                return closure.reason
        return None

    def is_working_day(self, day: dt.date) -> bool:
        return bool(self._slots_by_weekday.get(day.weekday())) and self.closed_reason(day) is None

    def add_working_days(self, received_at: dt.datetime, days: int) -> dt.datetime:
        """The end of the `days`-th working day after the day `received_at` falls on."""
        day = received_at.astimezone(ROME).date()
        counted = 0
        for _step in range(_SEARCH_DAYS):
            day += dt.timedelta(days=1)
            if self.is_working_day(day):
                counted += 1
                if counted >= days:
                    return dt.datetime.combine(day, dt.time(23, 59, 59), tzinfo=ROME)
        raise ValueError("No working day found within a year: check the office hours.")

    # --- hours ----------------------------------------------------------------------------------
    def _open_intervals(self, day: dt.date) -> list[tuple[dt.datetime, dt.datetime]]:
        if self.closed_reason(day) is not None:
            return []
        return [
            (
                dt.datetime.combine(day, slot.opens_at, tzinfo=ROME),
                dt.datetime.combine(day, slot.closes_at, tzinfo=ROME),
            )
            for slot in self._slots_by_weekday.get(day.weekday(), [])
        ]

    def is_open(self, at: dt.datetime) -> bool:
        local = at.astimezone(ROME)
        return any(start <= local < end for start, end in self._open_intervals(local.date()))

    def next_opening(self, after: dt.datetime) -> dt.datetime:
        """The first opening strictly after `after`; all instants of one closed period share it."""
        local = after.astimezone(ROME)
        day = local.date()
        for _step in range(_SEARCH_DAYS):
            for start, _end in self._open_intervals(day):
                if start > local:
                    return start
            day += dt.timedelta(days=1)
        raise ValueError("The office never opens within a year: check the office hours.")

    # --- words ----------------------------------------------------------------------------------
    def describe_opening(self, opening: dt.datetime, now: dt.datetime) -> str:
        """'lunedì 27 alle 9:00', or 'oggi alle 15:30' / 'domani alle 9:00'."""
        local, today = opening.astimezone(ROME), now.astimezone(ROME).date()
        time = f"{local.hour}:{local.minute:02d}"
        if local.date() == today:
            return _("oggi alle %(time)s") % {"time": time}
        if local.date() == today + dt.timedelta(days=1):
            return _("domani alle %(time)s") % {"time": time}
        weekday = Weekday(local.weekday()).label
        if (local.date() - today).days < 7:
            return _("%(weekday)s %(day)d alle %(time)s") % {
                "weekday": weekday,
                "day": local.day,
                "time": time,
            }
        return _("%(weekday)s %(day)d %(month)s alle %(time)s") % {
            "weekday": weekday,
            "day": local.day,
            "month": MONTHS[local.month - 1],
            "time": time,
        }

    def describe_day(self, at: dt.datetime) -> str:
        """'mercoledì 9 dicembre': the day of a deadline, as said to a citizen."""
        local = at.astimezone(ROME)
        return _("%(weekday)s %(day)d %(month)s") % {
            "weekday": Weekday(local.weekday()).label,
            "day": local.day,
            "month": MONTHS[local.month - 1],
        }

    def describe_hours(self) -> str:
        """The weekly hours in Italian, e.g. 'dal lunedì al venerdì 9:00-12:00; lunedì e giovedì
        15:30-17:30'."""
        days_by_range: dict[tuple[dt.time, dt.time], list[int]] = defaultdict(list)
        for weekday, slots in sorted(self._slots_by_weekday.items()):
            for slot in slots:
                days_by_range[(slot.opens_at, slot.closes_at)].append(weekday)
        parts = []
        # The widest range first: "dal lunedì al venerdì 9:00-12:00; lunedì e giovedì 15:30-17:30".
        ordered = sorted(days_by_range.items(), key=lambda item: (-len(item[1]), item[0]))
        for (opens, closes), days in ordered:
            parts.append(f"{_describe_days(days)} {_hm(opens)}-{_hm(closes)}")
        return "; ".join(parts)


MONTHS = [
    "gennaio",
    "febbraio",
    "marzo",
    "aprile",
    "maggio",
    "giugno",
    "luglio",
    "agosto",
    "settembre",
    "ottobre",
    "novembre",
    "dicembre",
]


def _hm(value: dt.time) -> str:
    return f"{value.hour}:{value.minute:02d}"


def _describe_days(days: list[int]) -> str:
    labels = [str(Weekday(day).label) for day in days]
    if len(days) > 2 and days == list(range(days[0], days[-1] + 1)):
        return _("dal %(first)s al %(last)s") % {"first": labels[0], "last": labels[-1]}
    if len(labels) == 1:
        return labels[0]
    return _("%(some)s e %(last)s") % {"some": ", ".join(labels[:-1]), "last": labels[-1]}
