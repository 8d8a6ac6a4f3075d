"""The GDPR export through the API (administrators only, audited) and the statistics."""

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from broadcasts.services import alert_confirm, alert_create
from broadcasts.tests.factories import MessageTemplateFactory
from subscribers.models import DataSubjectRequest, Subscriber
from subscribers.states import DataSubjectRequestKind, SubscriberStatus
from subscribers.tests.factories import SubscriberFactory
from tickets.tests.factories import TicketFactory
from urp_portal.accounts.principals import ApiTokenUser
from urp_portal.accounts.roles import Role
from urp_portal.accounts.tests.factories import (
    UserFactory,
    client_with_key,
    make_api_token,
    token_client,
)
from urp_portal.gateway.models import OutboundMessage
from urp_portal.gateway.states import OutboundState

pytestmark = pytest.mark.django_db


def token_user(role: str) -> ApiTokenUser:
    return ApiTokenUser(make_api_token(role)[0])


def alert_sent(**fields) -> None:
    """An alert written by one system and confirmed by another (four eyes)."""
    alert = alert_create(actor=token_user(Role.COMMUNICATIONS), **fields)
    alert_confirm(campaign_id=alert.pk, actor=token_user(Role.COMMUNICATIONS))


STATS = "/api/v1/stats/"


def export_url(subscriber) -> str:
    return f"/api/v1/subscribers/{subscriber.pk}/export/"


@pytest.fixture
def maria():
    return Subscriber.objects.create(
        number="+393331234567",
        status=SubscriberStatus.SUBSCRIBED,
        first_name="Maria",
        last_name="Rossi",
        subscribed_at=timezone.now(),
    )


def test_an_administrators_token_exports_a_citizens_data_and_the_export_is_audited(maria):
    _token, key = make_api_token(Role.ADMINISTRATOR, name="Protocollo informatico")

    response = client_with_key(key).get(export_url(maria), {"reason": "prot. 2025/123"})

    assert response.status_code == 200
    body = response.json()
    assert body["subscriber"]["number"] == "+393331234567"
    assert body["subscriber"]["last_name"] == "Rossi"
    assert {"generated_at", "consent", "received_messages", "sent_messages"} <= set(body)
    audit = DataSubjectRequest.objects.get(subscriber=maria)
    assert (audit.kind, audit.reason, audit.actor, audit.requested_by) == (
        DataSubjectRequestKind.EXPORT,
        "prot. 2025/123",
        "API: Protocollo informatico",
        None,
    )


def test_an_export_without_a_reason_is_still_audited(maria):
    token_client(Role.ADMINISTRATOR).get(export_url(maria))

    assert DataSubjectRequest.objects.get(subscriber=maria).reason == "Richiesta tramite API."


def test_a_console_administrators_session_is_recorded_as_that_user(client, maria):
    admin = UserFactory(is_superuser=True, username="dpo")
    client.force_login(admin)

    response = client.get(export_url(maria))

    assert response.status_code == 200
    audit = DataSubjectRequest.objects.get(subscriber=maria)
    assert (audit.requested_by, audit.actor) == (admin, "dpo")


@pytest.mark.parametrize("role", [Role.OPERATOR, Role.COMMUNICATIONS, Role.MODERATOR, Role.SERVICE])
def test_only_administrators_export(maria, role):
    response = token_client(role).get(export_url(maria))

    assert (response.status_code, response.json()["code"]) == (403, "role_not_allowed")
    assert not DataSubjectRequest.objects.exists()


def test_exporting_an_unknown_citizen_is_404():
    response = token_client(Role.ADMINISTRATOR).get("/api/v1/subscribers/999999/export/")

    assert (response.status_code, response.json()["code"]) == (404, "not_found")


# --- statistics ---------------------------------------------------------------------------------

# Wednesday 12 March 2025, 15:00 in Rome: the week began on Monday the 10th, the month on the 1st.
NOW = dt.datetime(2025, 3, 12, 14, 0, tzinfo=dt.UTC)


def ticket(opened: dt.datetime, *, answered_after: dt.timedelta | None = None, **fields):
    return TicketFactory(
        opened_at=opened,
        due_at=opened + dt.timedelta(days=2),
        first_response_at=opened + answered_after if answered_after is not None else None,
        **fields,
    )


def test_stats_count_tickets_per_period_with_deadlines_and_median_first_response():
    today = NOW - dt.timedelta(hours=2)
    this_week = NOW - dt.timedelta(days=1)
    this_month = NOW - dt.timedelta(days=8)
    last_month = NOW - dt.timedelta(days=20)
    ticket(today, answered_after=dt.timedelta(minutes=30))
    ticket(this_week, answered_after=dt.timedelta(hours=1), resolved_at=today, state="resolved")
    ticket(this_month, answered_after=dt.timedelta(days=3))  # answered late
    ticket(this_month)  # never answered, now overdue
    ticket(last_month, resolved_at=this_week, state="resolved")
    with time_machine.travel(NOW, tick=False):
        response = token_client(Role.COMMUNICATIONS).get(STATS)

    tickets = response.json()["tickets"]
    assert response.status_code == 200
    assert tickets["today"] == {
        "since": "2025-03-12T00:00:00+01:00",
        "opened": 1,
        "resolved": 1,
        "answered": 1,
        "answered_within_deadline": 1,
        "within_deadline_pct": 100,
        "median_first_response_seconds": 1800,
    }
    assert tickets["week"]["since"] == "2025-03-10T00:00:00+01:00"
    assert (tickets["week"]["opened"], tickets["week"]["resolved"]) == (2, 2)
    assert tickets["week"]["median_first_response_seconds"] == 3600
    month = tickets["month"]
    assert (month["opened"], month["answered"], month["answered_within_deadline"]) == (4, 3, 2)
    # Judged: three answered and one overdue; two of the four in time.
    assert month["within_deadline_pct"] == 50
    assert month["median_first_response_seconds"] == 3600


def test_stats_of_a_quiet_period_are_zeros_and_nulls():
    with time_machine.travel(NOW, tick=False):
        response = token_client(Role.OPERATOR).get(STATS)

    today = response.json()["tickets"]["today"]
    assert (today["opened"], today["within_deadline_pct"]) == (0, None)
    assert today["median_first_response_seconds"] is None


def test_stats_reach_is_the_broadcast_list():
    for n in range(3):
        Subscriber.objects.create(number=f"+39333000000{n}", status=SubscriberStatus.SUBSCRIBED)
    Subscriber.objects.create(number="+393330000009", status=SubscriberStatus.UNSUBSCRIBED)

    response = token_client(Role.COMMUNICATIONS).get(STATS)

    assert response.json()["reach"]["broadcast_list"] == 3
    assert response.json()["subscribers"]["total"] == 4


def test_stats_reach_counts_the_broadcasts_of_each_period(municipality):
    for n in range(4):
        SubscriberFactory(number=f"+39333100000{n}", subscribed=True)
    template = MessageTemplateFactory(body="{{1}}")
    with time_machine.travel(NOW - dt.timedelta(days=5), tick=False):  # last week, this month
        alert_sent(template=template, parameters=["prima"])
    with time_machine.travel(NOW - dt.timedelta(hours=1), tick=False):
        alert_sent(template=template, parameters=["oggi"])
    today_messages = OutboundMessage.objects.filter(template_parameters=["oggi"]).order_by("pk")
    OutboundMessage.objects.filter(pk__in=[m.pk for m in today_messages[:2]]).update(
        state=OutboundState.READ
    )
    OutboundMessage.objects.filter(pk=today_messages[2].pk).update(state=OutboundState.SENT)

    with time_machine.travel(NOW, tick=False):
        reach = token_client(Role.COMMUNICATIONS).get(STATS).json()["reach"]

    assert reach["today"] == {"campaigns": 1, "recipients": 4, "reached": 3, "read": 2}
    assert reach["week"] == reach["today"]
    assert reach["month"] == {"campaigns": 2, "recipients": 8, "reached": 3, "read": 2}


def test_stats_are_not_for_a_services_system():
    assert token_client(Role.SERVICE).get(STATS).status_code == 403
