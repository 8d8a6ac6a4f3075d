"""What the comuni served side by side share in the console (issue #24): Meta's rate card is the
deployment's, so where several are served it is the provider's to change and the comuni's to
read, as are which comuni there are and which is active; each comune's privacy notices are its
own (another's is a 404). A deployment of one comune keeps all of it as it was."""

from __future__ import annotations

from django.test import Client

from broadcasts.models import RateCard
from subscribers.models import PrivacyNotice
from subscribers.services import privacy_notice_in_force
from tests.test_comune_staff import _signed_in
from urp_portal.accounts.roles import Role
from urp_portal.accounts.tests.factories import UserFactory
from urp_portal.municipality.models import Municipality

CARD_FORM = {
    "valid_from": "2026-07-01",
    "currency": "EUR",
    "marketing": "0.0600",
    "utility": "0.0248",
    "authentication": "0.0248",
    "source": "https://developers.facebook.com/docs/whatsapp/pricing",
    "note": "Listino di luglio",
    "utility_free_in_window": "on",
}


def _card() -> RateCard:
    return RateCard.objects.create(
        valid_from="2026-07-01", marketing="0.0572", utility="0.0248", authentication="0.0248"
    )


def _provider_root(comune) -> Client:
    root = UserFactory(username="root", is_superuser=True, is_staff=True)
    client = _signed_in(root)
    client.post("/admin/comune/", {"comune": comune.pk})
    return client


def test_where_several_comuni_are_served_a_comunes_administrator_reads_the_rate_card_only(
    comuni_staff,
):
    _cagliari, _assemini, people = comuni_staff
    card = _card()
    admin = _signed_in(people["admin"])

    page = admin.get(f"/admin/broadcasts/ratecard/{card.pk}/change/")
    changed = admin.post(f"/admin/broadcasts/ratecard/{card.pk}/change/", CARD_FORM)
    added = admin.get("/admin/broadcasts/ratecard/add/")
    deleted = admin.post(f"/admin/broadcasts/ratecard/{card.pk}/delete/", {"post": "yes"})

    assert page.status_code == 200
    assert 'name="marketing"' not in page.content.decode()  # read, not a form
    assert (changed.status_code, added.status_code, deleted.status_code) == (403, 403, 403)
    card.refresh_from_db()
    assert str(card.marketing) == "0.0572"


def test_where_several_comuni_are_served_the_provider_changes_the_rate_card(comuni_staff):
    cagliari, _assemini, _people = comuni_staff
    card = _card()

    changed = _provider_root(cagliari).post(
        f"/admin/broadcasts/ratecard/{card.pk}/change/", CARD_FORM
    )

    assert changed.status_code == 302
    card.refresh_from_db()
    assert str(card.marketing) == "0.0600"


def test_with_one_comune_its_administrator_keeps_the_rate_card(municipality):
    card = _card()
    admin = _signed_in(UserFactory(username="admin.solo", roles=[Role.ADMINISTRATOR]))

    changed = admin.post(f"/admin/broadcasts/ratecard/{card.pk}/change/", CARD_FORM)

    assert changed.status_code == 302
    card.refresh_from_db()
    assert str(card.marketing) == "0.0600"


def test_a_comunes_staff_read_their_own_privacy_notices_and_not_anothers(comuni_staff):
    cagliari, assemini, people = comuni_staff
    ours = privacy_notice_in_force(municipality=cagliari)
    theirs = privacy_notice_in_force(municipality=assemini)
    assert ours is not None and theirs is not None
    admin = _signed_in(people["admin"])

    listed = admin.get("/admin/subscribers/privacynotice/")
    own = admin.get(f"/admin/subscribers/privacynotice/{ours.pk}/change/")
    other = admin.get(f"/admin/subscribers/privacynotice/{theirs.pk}/change/")

    assert list(listed.context["cl"].result_list) == [ours]
    assert "Assemini" not in listed.content.decode()  # nor in a filter naming every comune
    assert own.status_code == 200
    assert other.status_code == 404


def test_with_one_comune_every_configurations_notices_stay_listed(municipality):
    from urp_portal.municipality.services import municipality_load_preset

    before = privacy_notice_in_force(municipality=municipality)
    municipality_load_preset(slug="assemini")
    after = privacy_notice_in_force(municipality=Municipality.objects.get(is_active=True))
    admin = _signed_in(UserFactory(username="admin.solo", roles=[Role.ADMINISTRATOR]))

    listed = admin.get("/admin/subscribers/privacynotice/")

    assert set(listed.context["cl"].result_list) == {before, after}
    assert PrivacyNotice.objects.count() == 2


def test_where_several_comuni_are_served_a_comunes_administrator_adds_activates_no_comune(
    comuni_staff,
):
    cagliari, _assemini, people = comuni_staff
    active_before = list(Municipality.objects.filter(is_active=True).values_list("slug"))
    count_before = Municipality.objects.count()
    admin = _signed_in(people["admin"])

    add_page = admin.get("/admin/municipality/municipality/add/")
    delete_page = admin.get(f"/admin/municipality/municipality/{cagliari.pk}/delete/")
    listed = admin.get("/admin/municipality/municipality/")
    admin.post(
        "/admin/municipality/municipality/",
        {"action": "activate", "_selected_action": [cagliari.pk]},
    )

    assert (add_page.status_code, delete_page.status_code) == (403, 403)
    assert 'value="activate"' not in listed.content.decode()
    assert list(Municipality.objects.filter(is_active=True).values_list("slug")) == active_before
    assert Municipality.objects.count() == count_before


def test_with_one_comune_its_administrator_may_still_add_a_configuration(municipality):
    admin = _signed_in(UserFactory(username="admin.solo", roles=[Role.ADMINISTRATOR]))

    add_page = admin.get("/admin/municipality/municipality/add/")
    listed = admin.get("/admin/municipality/municipality/")

    assert add_page.status_code == 200
    assert 'value="activate"' in listed.content.decode()
