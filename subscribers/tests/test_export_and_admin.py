import datetime as dt
import json
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.fixtures.conversation import receive
from urp_portal.accounts.roles import GROUP_NAMES, Role, sync_role_permissions
from urp_portal.municipality.scope import serves_other_comuni

from ..models import DataSubjectRequest, Subscriber
from ..states import (
    ConsentChannel,
    DataSubjectRequestKind,
    DataSubjectRequestOutcome,
    SubscriberStatus,
)
from .factories import SubscriberFactory

CITIZEN = "+393471234567"


@pytest.fixture
def citizen(municipality):
    # In office hours, so the sent messages are the notice at first contact (issue #22), the
    # welcome and the notice again with it, nothing automatic.
    with time_machine.travel(dt.datetime(2026, 11, 23, 10, 0, tzinfo=ZoneInfo("Europe/Rome"))):
        receive(CITIZEN, "Buongiorno, orari della biblioteca?", profile_name="Eufrasia P.")
        receive(CITIZEN, "Iscrivimi")
    subscriber = Subscriber.objects.get(number=CITIZEN)
    subscriber.first_name, subscriber.last_name = "Eufrasia", "Pitzalis"
    subscriber.save()
    return subscriber


def user_with_role(role: str, username: str):
    sync_role_permissions()
    user = get_user_model().objects.create_user(username, password="x" * 12, is_staff=True)
    user.groups.add(Group.objects.get(name=GROUP_NAMES[role]))
    return user


def test_export_command_prints_everything_held_and_is_audited(citizen, capsys):
    call_command("export_subscriber", number=CITIZEN, reason="Prot. 77/2026")

    data = json.loads(capsys.readouterr().out)
    assert data["subscriber"]["number"] == CITIZEN
    assert data["subscriber"]["last_name"] == "Pitzalis"
    assert [m["text"] for m in data["received_messages"]] == [
        "Buongiorno, orari della biblioteca?",
        "Iscrivimi",
    ]
    assert len(data["sent_messages"]) == 3
    assert [c["privacy_notice_version"] for c in data["consent"]] == ["1", "1", "1"]
    request = DataSubjectRequest.objects.get()
    assert (request.kind, request.outcome, request.channel) == (
        DataSubjectRequestKind.EXPORT,
        DataSubjectRequestOutcome.DONE,
        ConsentChannel.COMMAND,
    )
    assert request.reason == "Prot. 77/2026"


def test_an_administrator_exports_a_readable_page_and_a_json_file(client, citizen):
    client.force_login(user_with_role(Role.ADMINISTRATOR, "amministratore"))
    url = reverse("admin:subscribers_subscriber_export", args=[citizen.pk])

    form = client.get(url)
    page = client.post(url, {"reason": "Prot. 78/2026", "format": "html"})
    download = client.post(url, {"reason": "Prot. 79/2026", "format": "json"})

    assert form.status_code == 200
    assert "Pitzalis" in page.content.decode()
    assert "Buongiorno, orari della biblioteca?" in page.content.decode()
    assert download["Content-Type"].startswith("application/json")
    assert json.loads(download.content)["subscriber"]["first_name"] == "Eufrasia"
    assert list(DataSubjectRequest.objects.values_list("reason", "actor").order_by("pk")) == [
        ("Prot. 78/2026", "amministratore"),
        ("Prot. 79/2026", "amministratore"),
    ]


def test_an_administrator_erases_from_the_admin(client, citizen):
    admin = user_with_role(Role.ADMINISTRATOR, "amministratore")
    client.force_login(admin)

    response = client.post(
        reverse("admin:subscribers_subscriber_erase", args=[citizen.pk]),
        {"reason": "Richiesta via PEC prot. 80/2026"},
    )

    assert response.status_code == 302
    citizen.refresh_from_db()
    assert citizen.status == SubscriberStatus.ANONYMISED
    request = DataSubjectRequest.objects.get()
    assert (request.requested_by, request.channel) == (admin, ConsentChannel.ADMIN)


def test_an_operator_sees_citizens_but_may_not_export_erase_or_change_them(client, citizen):
    client.force_login(user_with_role(Role.OPERATOR, "operatore"))

    listing = client.get(reverse("admin:subscribers_subscriber_changelist"))
    export = client.post(
        reverse("admin:subscribers_subscriber_export", args=[citizen.pk]), {"reason": "x"}
    )
    erase = client.post(
        reverse("admin:subscribers_subscriber_erase", args=[citizen.pk]), {"reason": "x"}
    )
    change = client.post(
        reverse("admin:subscribers_subscriber_change", args=[citizen.pk]), {"first_name": "X"}
    )

    assert listing.status_code == 200
    assert (export.status_code, erase.status_code, change.status_code) == (403, 403, 403)
    assert not DataSubjectRequest.objects.exists()


def test_roles_give_nobody_a_way_to_change_the_ledger(db):
    sync_role_permissions()

    for name in GROUP_NAMES.values():
        codenames = set(Group.objects.get(name=name).permissions.values_list("codename", flat=True))
        assert not codenames & {
            "add_consentrecord",
            "change_consentrecord",
            "delete_consentrecord",
            "change_datasubjectrequest",
            "delete_datasubjectrequest",
            "delete_subscriber",
        }
    administrators = Group.objects.get(name=GROUP_NAMES[Role.ADMINISTRATOR]).permissions
    assert (
        administrators.filter(codename__in=["export_subscriber", "erase_subscriber"]).count() == 2
    )


def test_the_list_counts_subscribed_joined_and_left_this_week_in_few_queries(
    client, municipality, django_assert_max_num_queries
):
    with time_machine.travel(dt.datetime(2026, 3, 4, 10, 0, tzinfo=dt.UTC), tick=False):
        last_week = dt.datetime(2026, 2, 27, 10, 0, tzinfo=dt.UTC)
        this_week = dt.datetime(2026, 3, 3, 10, 0, tzinfo=dt.UTC)
        SubscriberFactory.create_batch(20, subscribed=True, subscribed_at=last_week)
        SubscriberFactory.create_batch(3, subscribed=True, subscribed_at=this_week)
        SubscriberFactory.create_batch(
            2,
            status=SubscriberStatus.UNSUBSCRIBED,
            subscribed_at=last_week,
            unsubscribed_at=this_week,
        )
        SubscriberFactory.create_batch(5)
        client.force_login(user_with_role(Role.OPERATOR, "operatore"))
        serves_other_comuni()  # once per process every 5 s (municipality/scope.py), not per request

        with django_assert_max_num_queries(10):
            response = client.get(reverse("admin:subscribers_subscriber_changelist"))

    assert response.context["subscriber_counts"] == {
        "subscribed": 23,
        "joined_this_week": 3,
        "left_this_week": 2,
    }
    assert "iscritti questa settimana" in response.content.decode()


def test_operators_find_a_citizen_by_the_number_as_spoken_or_by_name(client, citizen):
    SubscriberFactory.create_batch(3)
    client.force_login(user_with_role(Role.OPERATOR, "operatore"))
    url = reverse("admin:subscribers_subscriber_changelist")

    by_number = client.get(url, {"q": "347 123 4567"})
    by_name = client.get(url, {"q": "pitzalis"})

    assert list(by_number.context["cl"].result_list) == [citizen]
    assert list(by_name.context["cl"].result_list) == [citizen]


def test_the_consent_history_shows_read_only_on_the_citizen_page(client, citizen):
    client.force_login(user_with_role(Role.ADMINISTRATOR, "amministratore"))

    page = client.get(reverse("admin:subscribers_subscriber_change", args=[citizen.pk]))

    content = page.content.decode()
    assert "storia dei consensi" in content.lower()
    assert "iscrizione alla lista broadcast" in content
    assert "consent_records-0-kind" not in content
    assert "Esporta i dati" in content and "Cancella i dati" in content


def test_the_erase_page_asks_why_before_anything_happens(client, citizen):
    client.force_login(user_with_role(Role.ADMINISTRATOR, "amministratore"))

    page = client.get(reverse("admin:subscribers_subscriber_erase", args=[citizen.pk]))
    refused = client.post(reverse("admin:subscribers_subscriber_erase", args=[citizen.pk]), {})

    assert page.status_code == 200
    assert "non si può annullare" in page.content.decode()
    assert refused.status_code == 200
    citizen.refresh_from_db()
    assert citizen.status == SubscriberStatus.SUBSCRIBED


@pytest.mark.parametrize(
    "changelist",
    [
        "admin:subscribers_consentrecord_changelist",
        "admin:subscribers_datasubjectrequest_changelist",
        "admin:subscribers_privacynotice_changelist",
    ],
)
def test_history_lists_load_in_few_queries(
    client, municipality, changelist, django_assert_max_num_queries
):
    for index in range(15):
        number = f"+39347000{index:04d}"
        receive(number, "Iscrivimi")
        call_command("export_subscriber", number=number, reason=f"Prot. {index}/2026")
    client.force_login(user_with_role(Role.ADMINISTRATOR, "amministratore"))

    # One of them: an administrator's second-factor device, checked on every request.
    with django_assert_max_num_queries(9):
        response = client.get(reverse(changelist))

    assert response.status_code == 200


def test_the_list_filters_by_status_and_by_subscription_date(client, municipality):
    rome = ZoneInfo("Europe/Rome")
    march = SubscriberFactory.create_batch(
        2, subscribed=True, subscribed_at=dt.datetime(2026, 3, 3, 10, 0, tzinfo=rome)
    )
    february = SubscriberFactory(
        subscribed=True, subscribed_at=dt.datetime(2026, 2, 20, 10, 0, tzinfo=rome)
    )
    left = SubscriberFactory(
        status=SubscriberStatus.UNSUBSCRIBED,
        subscribed_at=dt.datetime(2026, 3, 2, 10, 0, tzinfo=rome),
        unsubscribed_at=dt.datetime(2026, 3, 4, 10, 0, tzinfo=rome),
    )
    SubscriberFactory.create_batch(2)
    client.force_login(user_with_role(Role.OPERATOR, "operatore"))
    url = reverse("admin:subscribers_subscriber_changelist")

    def shown(**params) -> set[int]:
        response = client.get(url, params)
        assert response.status_code == 200
        return {s.pk for s in response.context["cl"].result_list}

    assert shown(status__exact="subscribed") == {s.pk for s in [*march, february]}
    assert shown(status__exact="unsubscribed") == {left.pk}
    # As the "iscritto il" filter's links write them: aware, Rome time.
    in_march = {
        "subscribed_at__gte": "2026-03-01 00:00:00+01:00",
        "subscribed_at__lt": "2026-04-01 00:00:00+02:00",
    }
    assert shown(**in_march) == {s.pk for s in [*march, left]}
    assert shown(status__exact="subscribed", **in_march) == {s.pk for s in march}
    assert shown(subscribed_at__year="2026", subscribed_at__month="2") == {february.pk}


def test_the_list_costs_the_same_queries_for_five_citizens_or_sixty(client, municipality):
    client.force_login(user_with_role(Role.OPERATOR, "operatore"))
    url = reverse("admin:subscribers_subscriber_changelist")
    client.get(url)  # warm the session and the content types

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url, {"q": "347"}).status_code == 200
        return len(captured)

    SubscriberFactory.create_batch(5, subscribed=True)
    few = queries()
    SubscriberFactory.create_batch(55, subscribed=True)
    many = queries()

    assert few == many
    assert many <= 10
