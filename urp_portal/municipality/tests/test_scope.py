"""The scoped manager: a comune's rows only, and no rows at all for code that forgot its comune
on a deployment serving several."""

import pytest

from subscribers.models import Subscriber
from subscribers.tests.factories import SubscriberFactory
from urp_portal.municipality.models import Municipality, WhatsAppNumber
from urp_portal.municipality.scope import (
    ComuneScopedManager,
    ComuneScopeMissing,
    comune_scope,
    serves_other_comuni,
)
from urp_portal.municipality.services import municipality_load_preset


def scoped_subscribers() -> ComuneScopedManager:
    manager = ComuneScopedManager()
    manager.model = Subscriber
    return manager


@pytest.fixture
def cagliari_and_assemini(db):
    cagliari = municipality_load_preset(slug="cagliari")
    assemini = Municipality.objects.create(slug="assemini", name="Assemini")
    return cagliari, assemini


def test_with_one_comune_the_manager_reads_every_row_as_before(cagliari_and_assemini):
    cagliari, _ = cagliari_and_assemini
    SubscriberFactory(comune=None)
    SubscriberFactory(comune=cagliari)

    assert scoped_subscribers().count() == 2


def test_in_a_scope_the_manager_reads_that_comunes_rows_only(cagliari_and_assemini):
    cagliari, assemini = cagliari_and_assemini
    legacy = SubscriberFactory(comune=None)
    own = SubscriberFactory(comune=cagliari)
    other = SubscriberFactory(comune=assemini)

    with comune_scope(cagliari):
        assert set(scoped_subscribers().all()) == {legacy, own}
    with comune_scope(assemini):
        assert set(scoped_subscribers().all()) == {other}


def test_once_another_comune_has_a_number_an_unscoped_read_fails_closed(cagliari_and_assemini):
    _, assemini = cagliari_and_assemini
    SubscriberFactory(comune=assemini)
    assert not serves_other_comuni()

    WhatsAppNumber.objects.create(comune=assemini, phone_number_id="100000000000002")

    with pytest.raises(ComuneScopeMissing):
        scoped_subscribers().count()
    with comune_scope(assemini):
        assert scoped_subscribers().count() == 1


def test_a_periodic_task_runs_once_in_each_served_comunes_scope(cagliari_and_assemini):
    from urp_portal.municipality.scope import current_comune, in_each_comune_scope
    from urp_portal.municipality.selectors import municipality_get_active

    cagliari, assemini = cagliari_and_assemini
    Municipality.objects.create(slug="ancona", name="Ancona")  # no number: not served
    WhatsAppNumber.objects.create(comune=assemini, phone_number_id="100000000000002")

    seen = [(comune, municipality_get_active()) for comune in in_each_comune_scope()]

    assert seen == [(cagliari, cagliari), (assemini, assemini)]
    assert current_comune() is None
