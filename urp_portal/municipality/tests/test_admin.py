"""An administrator edits the configuration in the admin; a bad one is refused, clearly."""

import pytest
from django.urls import reverse

from urp_portal.municipality.models import Municipality

pytestmark = pytest.mark.django_db

INLINES = ("office_slots", "closures", "keywords", "broadcast_slots")


def form_data(*, slots=(), keywords=(), **fields):
    data = {
        "name": "Comune di Prova",
        "slug": "prova",
        "whatsapp_number": "+393290582872",
        "mode": "two_way_media",
        "answer_deadline_working_days": "2",
        "quiet_hours_start": "21:00",
        "quiet_hours_end": "08:00",
        "privacy_notice_version": "1",
        "unsubscribed_data_retention_days": "0",
        "message_retention_days": "730",
        # The URP's duties (issue #22): how the notice and other channels' requests go.
        "first_contact_notice": "first_message",
        "reports_handling": "accepted",
        "records_access_handling": "suggest",
    }
    data.update(fields)
    for prefix in INLINES:
        rows = {"office_slots": slots, "keywords": keywords}.get(prefix, ())
        data[f"{prefix}-TOTAL_FORMS"] = str(len(rows))
        data[f"{prefix}-INITIAL_FORMS"] = "0"
        for i, row in enumerate(rows):
            for key, value in row.items():
                data[f"{prefix}-{i}-{key}"] = value
    return data


def post(admin_client, data):
    return admin_client.post(reverse("admin:municipality_municipality_add"), data)


def errors_of(response):
    return " ".join(str(e) for e in response.context["errors"]) + " ".join(
        str(e)
        for formset in response.context["inline_admin_formsets"]
        for e in formset.formset.non_form_errors()
    )


def test_a_valid_configuration_is_saved(admin_client):
    response = post(
        admin_client,
        form_data(
            slots=[
                {"weekday": "0", "opens_at": "09:00", "closes_at": "12:00"},
                {"weekday": "0", "opens_at": "15:30", "closes_at": "17:30"},
            ],
            keywords=[
                {"kind": "subscribe", "word": "Iscrivimi"},
                {"kind": "unsubscribe", "word": "Cancellami"},
            ],
        ),
    )

    assert response.status_code == 302
    saved = Municipality.objects.get(slug="prova")
    assert saved.office_slots.count() == 2
    assert sorted(saved.keywords.values_list("normalized", flat=True)) == [
        "cancellami",
        "iscrivimi",
    ]


def test_overlapping_office_slots_are_refused(admin_client):
    response = post(
        admin_client,
        form_data(
            slots=[
                {"weekday": "0", "opens_at": "09:00", "closes_at": "12:00"},
                {"weekday": "0", "opens_at": "11:30", "closes_at": "13:00"},
            ],
        ),
    )

    assert response.status_code == 200
    assert "si sovrappongono" in errors_of(response)
    assert not Municipality.objects.filter(slug="prova").exists()


def test_a_keyword_for_both_subscribe_and_unsubscribe_is_refused(admin_client):
    response = post(
        admin_client,
        form_data(
            keywords=[
                {"kind": "subscribe", "word": "Attiva"},
                {"kind": "unsubscribe", "word": "ATTIVA!"},
            ],
        ),
    )

    assert response.status_code == 200
    assert "sia per iscriversi sia per cancellarsi" in errors_of(response)
    assert not Municipality.objects.filter(slug="prova").exists()


def test_a_text_over_whatsapps_limit_is_refused(admin_client):
    response = post(admin_client, form_data(welcome_text="a" * 4097))

    assert response.status_code == 200
    assert "4096 caratteri" in errors_of(response)
    assert not Municipality.objects.filter(slug="prova").exists()


def test_a_number_that_does_not_exist_is_refused(admin_client):
    response = post(admin_client, form_data(whatsapp_number="+39 000"))

    assert response.status_code == 200
    assert "Numero" in errors_of(response) or "numero" in errors_of(response)


def test_the_activate_action_makes_one_configuration_active(admin_client, municipality):
    other = Municipality.objects.create(slug="altro", name="Altro", whatsapp_number="+393387203109")

    admin_client.post(
        reverse("admin:municipality_municipality_changelist"),
        {"action": "activate", "_selected_action": [other.pk]},
    )

    assert list(Municipality.objects.filter(is_active=True)) == [other]
