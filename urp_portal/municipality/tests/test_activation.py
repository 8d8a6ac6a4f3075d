"""Making another comune the active one (issue #24): rows with no comune are the active comune's,
so a comune that already has rows of its own (served beside the active one, loaded by
`load_preset --comune`) would see both when activated, each code twice. Activation hands the
rows with no comune to the comune active until then and puts the new one's in their place, in
one transaction: each comune keeps exactly its own. A single-comune `load_preset X` keeps
working as before: the comune loaded takes the rows with no comune, citizens and tickets too."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command

from moderation.models import PolicyCategory
from moderation.selectors import moderation_settings_get
from moderation.services import categories_required
from subscribers.tests.factories import SubscriberFactory
from tests.fixtures.comuni import ASSEMINI_NUMBER
from tickets.models import MunicipalService, Ticket
from tickets.tests.factories import TicketFactory
from urp_portal.municipality.models import Municipality
from urp_portal.municipality.scope import comune_owned_models, comune_scope
from urp_portal.municipality.services import municipality_activate, municipality_load_preset


def _owners() -> dict[str, dict[int, int | None]]:
    """Every comune-owned row's owner, by model: {model: {pk: comune id or None}}."""
    return {
        model._meta.label: dict(model._base_manager.values_list("pk", "comune_id"))
        for model in comune_owned_models()
    }


def _codes_in(comune: Municipality) -> list[str]:
    with comune_scope(comune):
        return sorted(PolicyCategory.objects.values_list("code", flat=True))


@pytest.fixture
def cagliari_active_with_assemini_beside(db):
    """Cagliari, the deployment's one comune until now (its rows have no comune), with a
    citizen and a ticket; Assemini added beside it on its own number, with its own lists."""
    cagliari = municipality_load_preset(slug="cagliari")
    ticket = TicketFactory(subscriber=SubscriberFactory(comune=None), comune=None)
    call_command(
        "load_preset",
        "assemini",
        "--comune",
        "assemini",
        "--phone-number-id",
        ASSEMINI_NUMBER,
        stdout=StringIO(),
    )
    return cagliari, Municipality.objects.get(slug="assemini"), ticket


def test_the_models_with_an_owner_comune_are_all_found():
    labels = {model._meta.label for model in comune_owned_models()}

    assert {
        "tickets.Ticket",
        "tickets.MunicipalService",
        "tickets.CannedAnswer",
        "tickets.ElsewhereRule",
        "subscribers.Subscriber",
        "moderation.PolicyCategory",
        "moderation.LexiconEntry",
        "moderation.AllowedDomain",
        "moderation.ModerationSettings",
        "broadcasts.MessageTemplate",
        "gateway.InboundMessage",
        "accounts.ApiToken",
    } <= labels
    assert "accounts.StaffMembership" not in labels  # its comune is never empty


def test_activating_a_comune_with_its_own_lists_leaves_each_comune_exactly_its_own(
    cagliari_active_with_assemini_beside,
):
    cagliari, assemini, ticket = cagliari_active_with_assemini_beside
    before = _owners()
    assemini_codes = _codes_in(assemini)
    with comune_scope(assemini):
        assemini_settings = moderation_settings_get().pk
    # What the bug was: codes of Assemini's own that the rows with no comune have too.
    shared = {
        code
        for code in assemini_codes
        if PolicyCategory.all_comuni.filter(code=code, comune=None).exists()
    }
    assert shared

    municipality_activate(municipality=assemini)

    after = _owners()
    for model, owners in before.items():
        for pk, owner in owners.items():
            expected = {None: cagliari.pk, assemini.pk: None}.get(owner, owner)
            assert after[model][pk] == expected, (model, pk, owner)
    assemini.refresh_from_db()
    cagliari.refresh_from_db()
    assert assemini.is_active and not cagliari.is_active
    assert _codes_in(assemini) == assemini_codes
    with comune_scope(assemini):
        named = categories_required([sorted(shared)[0]])
        assert [row.comune_id for row in named] == [None]
        assert moderation_settings_get().pk == assemini_settings
        assert not Ticket.objects.filter(pk=ticket.pk).exists()
        slugs = list(MunicipalService.objects.values_list("slug", flat=True))
        assert len(slugs) == len(set(slugs))
    with comune_scope(cagliari):
        assert Ticket.objects.filter(pk=ticket.pk).exists()


def test_activating_back_and_forth_gives_each_comune_its_rows_again(
    cagliari_active_with_assemini_beside,
):
    cagliari, assemini, _ticket = cagliari_active_with_assemini_beside
    before = _owners()

    municipality_activate(municipality=assemini)
    municipality_activate(municipality=cagliari)

    assert _owners() == before


def test_loading_the_active_comunes_preset_again_moves_nothing(
    cagliari_active_with_assemini_beside,
):
    cagliari, _assemini, _ticket = cagliari_active_with_assemini_beside
    # A ticket made in Cagliari's scope carries its id (owned_by_the_scope), beside those with none.
    with comune_scope(cagliari):
        TicketFactory(subscriber=SubscriberFactory(comune=cagliari), comune=cagliari)
    before = _owners()

    municipality_load_preset(slug="cagliari")

    assert _owners() == before


def test_a_single_comunes_load_preset_keeps_its_citizens_and_tickets(db):
    municipality_load_preset(slug="cagliari")
    ticket = TicketFactory(subscriber=SubscriberFactory(comune=None), comune=None)
    before = _owners()

    assemini = municipality_load_preset(slug="assemini")

    assert assemini.is_active
    assert _owners() == before
    assert Ticket.objects.filter(pk=ticket.pk).exists()


def test_activating_a_comune_with_rows_when_none_was_active_is_refused(two_comuni):
    cagliari, _assemini = two_comuni
    before = _owners()

    with pytest.raises(ValidationError) as refused:
        municipality_activate(municipality=cagliari)

    assert refused.value.code == "activation_would_mix_rows"
    assert _owners() == before
    cagliari.refresh_from_db()
    assert not cagliari.is_active
