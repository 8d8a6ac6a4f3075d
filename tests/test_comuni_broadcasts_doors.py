"""Another comune's campaign, alert or template is 404 (issue #24, phase 2), through the API
and the console. Until the per-request scope binds a token's or an account's comune, the tests
bind it (comune_scope). The fixture and helpers are tests/test_comuni_broadcasts.py's."""

from __future__ import annotations

from django.urls import reverse

from broadcasts.models import Campaign
from broadcasts.states import CampaignState
from tests import test_comuni_broadcasts as _broadcasts
from tests.test_comuni_broadcasts import approved_campaign
from urp_portal.accounts.models import StaffMembership
from urp_portal.accounts.roles import Role
from urp_portal.accounts.tests.factories import (
    UserFactory,
    client_with_key,
    make_api_token,
    pass_second_factor,
)
from urp_portal.municipality.models import Municipality
from urp_portal.municipality.scope import comune_scope

two_comuni = _broadcasts.two_comuni


def _api_client(comune: Municipality, role: str):
    with comune_scope(comune):
        _token, key = make_api_token(role)
    return client_with_key(key)


def test_another_comunes_campaign_alert_and_template_are_not_found_through_the_api(two_comuni):
    cagliari, assemini = two_comuni
    ours = approved_campaign(cagliari)
    theirs = approved_campaign(assemini)
    with comune_scope(assemini):
        alert = Campaign.objects.create(
            title="Allerta", text="Allerta meteo", is_emergency=True, state=CampaignState.DRAFT
        )
    api = _api_client(cagliari, Role.COMMUNICATIONS)

    # Until the per-request scope binds the token's comune, the test binds it.
    with comune_scope(cagliari):
        own = api.get(f"/api/v1/campaigns/{ours.pk}/")
        other = api.get(f"/api/v1/campaigns/{theirs.pk}/")
        send_other = api.post(f"/api/v1/campaigns/{theirs.pk}/send/", {})
        confirm_other = api.post(f"/api/v1/alerts/{alert.pk}/confirm/", {})
        templates = api.get("/api/v1/templates/")

    assert own.status_code == 200
    assert (other.status_code, send_other.status_code, confirm_other.status_code) == (
        404,
        404,
        404,
    )
    assert [t["id"] for t in templates.json()["results"]] == [ours.template_id]
    assert Campaign.all_comuni.get(pk=theirs.pk).state == CampaignState.APPROVED
    assert Campaign.all_comuni.get(pk=alert.pk).state == CampaignState.DRAFT


def test_another_comunes_campaign_and_template_are_not_found_in_the_console(two_comuni, client):
    cagliari, assemini = two_comuni
    ours = approved_campaign(cagliari)
    theirs = approved_campaign(assemini)
    staff = UserFactory(roles=[Role.COMMUNICATIONS])
    StaffMembership.objects.create(user=staff, comune=cagliari)
    client.force_login(staff)
    pass_second_factor(client, staff)

    # The staff's scope middleware binds the account's only comune to each request.
    pages = {
        name: client.get(reverse(f"admin:broadcasts_{name}", args=[obj.pk])).status_code
        for name, obj in (
            ("campaign_change", theirs),
            ("campaign_report", theirs),
            ("campaign_report_csv", theirs),
            ("messagetemplate_change", theirs.template),
        )
    }
    own = client.get(reverse("admin:broadcasts_campaign_change", args=[ours.pk]))
    cancel = client.post(
        reverse("admin:broadcasts_campaign_action", args=[theirs.pk, "cancel"]), {}
    )
    listed = client.get(reverse("admin:broadcasts_campaign_changelist"))

    assert own.status_code == 200
    assert pages == dict.fromkeys(pages, 404)
    assert cancel.status_code == 404
    assert ours.title in listed.content.decode()
    assert Campaign.all_comuni.get(pk=theirs.pk).state == CampaignState.APPROVED
    assert list(listed.context["cl"].result_list) == [ours]
