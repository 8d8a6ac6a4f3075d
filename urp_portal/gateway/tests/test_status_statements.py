"""The status groups' write (status_statements.py): the UPDATE ... FROM (VALUES ...) of the fast
path and Django's bulk_update of the plain path leave the same rows, whatever the storm (on
PostgreSQL; elsewhere both are the plain path)."""

import random

import pytest

from urp_portal.gateway.models import PendingStatus
from urp_portal.gateway.services.statuses import (
    outbound_statuses_apply,
    outbound_statuses_apply_pending,
)

from .test_status_storm import _messages, _states, _storm, _twin


def _apply_in_groups(storm, prefix: str, rng: random.Random) -> None:
    grouped = _twin(storm, prefix)
    while grouped:
        size = rng.randint(1, 60)
        applied = outbound_statuses_apply(statuses=grouped[:size])
        outbound_statuses_apply_pending(provider_ids=applied.unmatched)
        grouped = grouped[size:]


@pytest.mark.django_db
@pytest.mark.parametrize("seed", [4, 5])
def test_the_fast_and_the_plain_write_of_a_status_storm_end_in_the_same_rows(seed, settings):
    storm = _storm(random.Random(seed), 120)
    _messages("fast.", 120, known=range(120))
    _messages("plain.", 120, known=range(120))

    settings.URP_DATABASE_FAST_PATHS = True
    _apply_in_groups(storm, "fast.", random.Random(seed))
    settings.URP_DATABASE_FAST_PATHS = False
    _apply_in_groups(storm, "plain.", random.Random(seed))

    fast, plain = _states("fast."), _states("plain.")
    assert fast == plain
    assert {state[0] for state in fast.values()} >= {"read", "delivered", "failed"}
    assert not PendingStatus.objects.exists()
