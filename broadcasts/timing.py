"""When broadcasts may go out: the comune's weekly slots and its quiet hours, in Europe/Rome.

Pure arithmetic on the configuration; the services decide what to do with the answers.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

from urp_portal.municipality.calendar import ROME
from urp_portal.municipality.models import BroadcastSlot, Municipality


@dataclass(frozen=True)
class SlotOccurrence:
    slot: BroadcastSlot
    at: dt.datetime


def _local(at: dt.datetime) -> dt.datetime:
    return at.astimezone(ROME)


def in_quiet_hours(municipality: Municipality, at: dt.datetime) -> bool:
    """True when `at` falls in the night's quiet hours (e.g. 21:00-08:00, across midnight)."""
    start, end = municipality.quiet_hours_start, municipality.quiet_hours_end
    if start == end:
        return False
    moment = _local(at).time()
    if start < end:
        return start <= moment < end
    return moment >= start or moment < end


def quiet_hours_end(municipality: Municipality, at: dt.datetime) -> dt.datetime:
    """The first instant after `at` outside quiet hours (`at` itself when it is outside)."""
    if not in_quiet_hours(municipality, at):
        return at
    local = _local(at)
    end = dt.datetime.combine(local.date(), municipality.quiet_hours_end, tzinfo=ROME)
    if end <= local:
        end = dt.datetime.combine(
            local.date() + dt.timedelta(days=1), municipality.quiet_hours_end, tzinfo=ROME
        )
    return end


def describe_quiet_hours(municipality: Municipality) -> str:
    return f"{municipality.quiet_hours_start:%H:%M}-{municipality.quiet_hours_end:%H:%M}"


def slot_occurrences(
    municipality: Municipality, *, after: dt.datetime, until: dt.datetime
) -> Iterator[SlotOccurrence]:
    """Every occurrence of the comune's broadcast slots in (after, until], in time order."""
    slots = list(municipality.broadcast_slots.all())
    if not slots:
        return
    day = _local(after).date()
    last_day = _local(until).date()
    while day <= last_day:
        found = [
            SlotOccurrence(slot, dt.datetime.combine(day, slot.at, tzinfo=ROME))
            for slot in slots
            if slot.weekday == day.weekday()
        ]
        for occurrence in sorted(found, key=lambda o: o.at):
            if after < occurrence.at <= until:
                yield occurrence
        day += dt.timedelta(days=1)
