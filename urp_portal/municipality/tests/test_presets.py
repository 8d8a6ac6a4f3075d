"""Each preset carries the facts of its comune's public notice (shared/seeds/)."""

import datetime as dt

import pytest
from django.core.management import call_command

from urp_portal.municipality.calendar import ROME
from urp_portal.municipality.models import Municipality
from urp_portal.municipality.selectors import (
    municipality_calendar,
    municipality_get_active,
    municipality_keyword_kind,
    municipality_keywords,
)
from urp_portal.municipality.services import municipality_load_preset
from urp_portal.municipality.states import ChannelMode, KeywordKind

pytestmark = pytest.mark.django_db


def at(y, m, d, hh=10, mm=0):
    return dt.datetime(y, m, d, hh, mm, tzinfo=ROME)


def slots_of(municipality):
    return sorted(
        (s.weekday, f"{s.opens_at:%H:%M}", f"{s.closes_at:%H:%M}")
        for s in municipality.office_slots.all()
    )


def test_cagliari_is_two_way_with_media_mornings_and_two_afternoons():
    m = municipality_load_preset(slug="cagliari")

    assert m.whatsapp_number == "+393290582872"
    assert m.mode == ChannelMode.TWO_WAY_MEDIA
    assert m.identity_required is False
    assert slots_of(m) == sorted(
        [(d, "09:00", "12:00") for d in range(5)] + [(0, "15:30", "17:30"), (3, "15:30", "17:30")]
    )
    calendar = municipality_calendar(m)
    assert calendar.describe_hours() == (
        "dal lunedì al venerdì 9:00-12:00; lunedì e giovedì 15:30-17:30"
    )
    # San Saturnino, Cagliari's patron, comes with the province of Cagliari.
    assert calendar.closed_reason(dt.date(2026, 10, 30)) is not None
    assert "Cagliari" in m.privacy_notice_text


def test_assemini_asks_identity_answers_in_two_working_days_and_uses_its_keywords():
    m = municipality_load_preset(slug="assemini")

    assert m.whatsapp_number == "+393387203109"
    assert m.identity_required is True
    assert m.answer_deadline_working_days == 2
    assert slots_of(m) == sorted(
        [(d, "08:30", "13:00") for d in range(5)] + [(0, "16:00", "18:00"), (2, "16:00", "18:00")]
    )
    assert municipality_keywords(m, KeywordKind.SUBSCRIBE) == ["Iscrivimi"]
    assert municipality_keywords(m, KeywordKind.UNSUBSCRIBE) == ["Cancellami"]
    assert m.unsubscribed_data_retention_days == 0
    assert "Iscrivimi" in m.first_contact_text
    # Segnalazioni and access-to-records requests go through the other channels.
    assert "accesso agli atti" in m.official_channel_text
    assert m.channel_email == "urp@comune.assemini.ca.it"
    # Not a chief town and no patron day in its notice: Cagliari's San Saturnino is not a holiday.
    assert municipality_calendar(m).closed_reason(dt.date(2026, 10, 30)) is None


def test_ancona_is_a_text_only_desk_that_sends_the_notice_with_the_welcome():
    m = municipality_load_preset(slug="ancona")

    assert m.whatsapp_number == "+393667695184"
    assert m.mode == ChannelMode.TWO_WAY_TEXT
    assert m.media_not_accepted_text
    assert "informativa" in m.welcome_text.lower()
    assert m.privacy_notice_text
    assert slots_of(m) == sorted(
        [(d, "09:00", "13:00") for d in range(5)] + [(1, "15:00", "17:00"), (3, "15:00", "17:00")]
    )
    assert municipality_keywords(m, KeywordKind.SUBSCRIBE) == ["Iscrivimi"]
    assert "segnalazioni" in m.official_channel_text
    # San Ciriaco, 4 May, patron of Ancona.
    assert municipality_calendar(m).closed_reason(dt.date(2026, 5, 4)) is not None


def test_san_giuliano_is_broadcast_only_twice_a_week_with_attiva():
    m = municipality_load_preset(slug="san_giuliano")

    assert m.whatsapp_number == "+393384706151"
    assert m.mode == ChannelMode.BROADCAST_ONLY
    assert municipality_keywords(m, KeywordKind.SUBSCRIBE) == ["ATTIVA"]
    assert m.office_slots.count() == 0
    assert m.broadcast_slots.count() == 2
    for channel in ("telefono", "email", "Municipium"):
        assert channel in m.broadcast_only_text
    # Milan's Sant'Ambrogio is not San Giuliano's holiday.
    assert municipality_calendar(m).closed_reason(dt.date(2026, 12, 7)) is None


def test_loading_a_preset_again_changes_nothing():
    municipality_load_preset(slug="assemini")
    before = (Municipality.objects.count(), slots_of(municipality_get_active()))

    municipality_load_preset(slug="assemini")

    assert (Municipality.objects.count(), slots_of(municipality_get_active())) == before


def test_loading_another_preset_replaces_the_one_in_force(capsys):
    call_command("load_preset", "cagliari")
    call_command("load_preset", "san_giuliano")

    assert municipality_get_active().slug == "san_giuliano"
    assert Municipality.objects.filter(is_active=True).count() == 1
    assert "San Giuliano" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("Iscrivimi", KeywordKind.SUBSCRIBE),
        ("iscrivimi!", KeywordKind.SUBSCRIBE),
        (" ISCRIVIMI 🙏", KeywordKind.SUBSCRIBE),
        ("Iscrìvimi.", KeywordKind.SUBSCRIBE),
        ("cancellami", KeywordKind.UNSUBSCRIBE),
        ("Vorrei iscrivermi", None),
        ("🙏", None),
    ],
)
def test_keywords_are_recognised_whatever_the_case_accents_and_emoji(text, kind):
    m = municipality_load_preset(slug="assemini")

    assert municipality_keyword_kind(m, text) == kind


def test_out_of_hours_on_a_thursday_evening_before_the_patron_day_reopens_on_monday():
    calendar = municipality_calendar(municipality_load_preset(slug="cagliari"))
    thursday_evening = at(2026, 10, 29, 18, 0)

    opening = calendar.next_opening(thursday_evening)

    assert opening == at(2026, 11, 2, 9, 0)
    assert calendar.describe_opening(opening, thursday_evening) == "lunedì 2 alle 9:00"
    assert calendar.is_open(at(2026, 10, 29, 16, 0))
    assert not calendar.is_open(at(2026, 10, 28, 16, 0))  # Wednesday: no afternoon


def test_two_working_days_skip_the_weekend_and_holidays():
    calendar = municipality_calendar(municipality_load_preset(slug="cagliari"))

    # Friday 24 April: Saturday, Sunday, then Liberation Day falls on Saturday 25 anyway.
    assert calendar.add_working_days(at(2026, 4, 24), 2).date() == dt.date(2026, 4, 28)
    # Thursday 29 October: Friday 30 is San Saturnino; Monday 2 and Tuesday 3 November.
    assert calendar.add_working_days(at(2026, 10, 29), 2).date() == dt.date(2026, 11, 3)
    # Wednesday 23 December: Thursday 24, then Christmas and Saint Stephen, then Monday 28.
    assert calendar.add_working_days(at(2026, 12, 23), 2).date() == dt.date(2026, 12, 28)
