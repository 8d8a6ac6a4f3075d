"""Subscriber lookup by number and the statistics skeleton."""

import pytest
from django.utils import timezone

from subscribers.models import Subscriber
from subscribers.states import SubscriberStatus
from urp_portal.accounts.roles import Role
from urp_portal.accounts.tests.factories import token_client
from urp_portal.municipality.scope import serves_other_comuni

pytestmark = pytest.mark.django_db

LOOKUP = "/api/v1/subscribers/"


def make_subscriber(number: str | None, status: str = SubscriberStatus.SUBSCRIBED, **fields):
    return Subscriber.objects.create(number=number, status=status, **fields)


def test_lookup_by_number_returns_that_citizen_alone():
    maria = make_subscriber(
        "+393331234567", first_name="Maria", last_name="Rossi", subscribed_at=timezone.now()
    )
    make_subscriber("+393339999999")

    response = token_client(Role.OPERATOR).get(LOOKUP, {"number": "+393331234567"})

    assert response.status_code == 200
    body = response.json()
    assert body["next"] is None
    assert [row["id"] for row in body["results"]] == [maria.pk]
    assert body["results"][0]["number"] == "+393331234567"
    assert body["results"][0]["status"] == "subscribed"
    assert body["results"][0]["last_name"] == "Rossi"


def test_lookup_of_an_unknown_number_is_an_empty_list():
    make_subscriber("+393331234567")

    response = token_client(Role.COMMUNICATIONS).get(LOOKUP, {"number": "+393330000000"})

    assert response.status_code == 200
    assert response.json() == {"results": [], "next": None}


def test_lookup_without_a_number_is_400_never_a_list():
    make_subscriber("+393331234567")

    response = token_client(Role.OPERATOR).get(LOOKUP)

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert "number" in response.json()["details"]
    assert "+393331234567" not in response.content.decode()


@pytest.mark.parametrize("number", ["393331234567", " 393331234567", "+39 333 1234567", "+0123"])
def test_lookup_of_a_number_not_in_e164_is_400(number):
    response = token_client(Role.OPERATOR).get(LOOKUP, {"number": number})

    assert response.status_code == 400
    assert "%2B" in response.json()["details"]["number"][0]["message"]


@pytest.mark.parametrize("role", [Role.SERVICE, Role.MODERATOR])
def test_lookup_is_not_for_services_or_moderators(role):
    response = token_client(role).get(LOOKUP, {"number": "+393331234567"})

    assert response.status_code == 403


def test_lookup_takes_a_bounded_number_of_queries(django_assert_max_num_queries):
    make_subscriber("+393331234567")
    client = token_client(Role.OPERATOR)
    # Whether other comuni are served is asked once per process every 5 s, not per request.
    serves_other_comuni()

    with django_assert_max_num_queries(3):
        client.get(LOOKUP, {"number": "+393331234567"})


def test_stats_count_citizens_by_status_in_one_query(django_assert_max_num_queries):
    for number in ("+393330000001", "+393330000002"):
        make_subscriber(number, SubscriberStatus.SUBSCRIBED)
    make_subscriber("+393330000003", SubscriberStatus.CONTACT)
    make_subscriber(None, SubscriberStatus.ANONYMISED)
    client = token_client(Role.COMMUNICATIONS)
    serves_other_comuni()  # once per process every 5 s (municipality/scope.py), not per request

    # The token (2), the tickets' counts (1, no ticket answered: no median), the citizens' (1),
    # the broadcasts' reach (1) and the satisfaction's totals (1; no survey: no breakdown).
    with django_assert_max_num_queries(6):
        response = client.get("/api/v1/stats/")

    assert response.status_code == 200
    assert response.json()["subscribers"] == {
        "total": 4,
        "by_status": {
            "contact": 1,
            "subscribed": 2,
            "unsubscribed": 0,
            "blocked": 0,
            "anonymised": 1,
        },
    }
