"""The audit trail itself: what a record holds, that it cannot be rewritten, the retention purge,
the admin mirror, and what an administrator sees and exports."""

import csv
import datetime as dt
import io

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import DatabaseError, connection, transaction
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from tickets.tests.factories import TicketFactory
from urp_portal.accounts.roles import Role
from urp_portal.accounts.tests.factories import UserFactory
from urp_portal.audit.errors import AppendOnlyError
from urp_portal.audit.models import AuditEvent
from urp_portal.audit.services import audit_purge_expired, audit_record
from urp_portal.audit.states import AuditAction, AuditChannel

pytestmark = pytest.mark.django_db


def _event(**kwargs) -> AuditEvent:
    defaults = {"actor": "mario", "action": AuditAction.CONVERSATION_VIEWED}
    return audit_record(**{**defaults, **kwargs})


def test_a_record_keeps_who_what_address_browser_and_request_id_but_no_citizen_name():
    user = UserFactory(username="giulia")
    ticket = TicketFactory(subscriber__first_name="Anna", subscriber__last_name="Rossi")
    request = RequestFactory().get(
        "/admin/x/", REMOTE_ADDR="10.1.2.3", HTTP_USER_AGENT="Firefox/140"
    )
    request.request_id = "req-123"

    event = audit_record(
        actor=user, action=AuditAction.CONVERSATION_VIEWED, target=ticket, request=request
    )

    assert (event.actor_id, event.actor_label, event.channel) == (
        user.pk,
        "giulia",
        AuditChannel.CONSOLE,
    )
    assert (event.target_type, event.target_id) == ("tickets.ticket", str(ticket.pk))
    assert (event.ip, event.user_agent, event.request_id) == ("10.1.2.3", "Firefox/140", "req-123")
    assert "Rossi" not in event.target_repr and str(ticket.pk) in event.target_repr


def test_behind_a_trusted_proxy_the_forwarded_address_is_recorded(settings):
    settings.URP_PROXY_COUNT = 1
    request = RequestFactory().get(
        "/admin/", REMOTE_ADDR="172.18.0.2", HTTP_X_FORWARDED_FOR="6.6.6.6, 93.40.1.2"
    )

    event = _event(request=request)

    # The proxy appended the client's address; what the client wrote before it is not trusted.
    assert event.ip == "93.40.1.2"


def test_without_a_request_the_event_is_the_systems():
    event = audit_record(actor=None, action=AuditAction.STATE_CHANGED)

    assert (event.actor_label, event.channel, event.ip) == ("sistema", AuditChannel.SYSTEM, None)


def test_an_event_cannot_be_changed_or_deleted_through_the_orm():
    event = _event()

    event.actor_label = "qualcun altro"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).update(actor_label="x")
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.all().delete()
    assert AuditEvent.objects.get(pk=event.pk).actor_label == "mario"


def test_on_postgresql_raw_sql_cannot_rewrite_the_trail_either():
    if connection.vendor != "postgresql":
        # SQLite (the embedded default) has no trigger: the refusal there is the model's.
        with pytest.raises(AppendOnlyError):
            AuditEvent.objects.filter(pk=_event().pk).update(actor_label="x")
        return
    event = _event()

    for statement in (
        "UPDATE audit_auditevent SET actor_label = 'x' WHERE id = %s",
        "DELETE FROM audit_auditevent WHERE id = %s",
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(statement, [event.pk])
    assert AuditEvent.objects.get(pk=event.pk).actor_label == "mario"


def test_the_purge_deletes_only_events_past_retention_and_records_itself(settings):
    settings.URP_AUDIT_RETENTION_DAYS = 180
    now = timezone.now()
    old = _event()
    recent = _event()
    with connection.cursor() as cursor:
        _backdate(cursor, old.pk, now - dt.timedelta(days=181))
        _backdate(cursor, recent.pk, now - dt.timedelta(days=179))

    deleted = audit_purge_expired(now=now)

    assert deleted == 1
    remaining = set(AuditEvent.objects.values_list("action", flat=True))
    assert not AuditEvent.objects.filter(pk=old.pk).exists()
    assert AuditEvent.objects.filter(pk=recent.pk).exists()
    assert AuditAction.AUDIT_PURGED in remaining
    purge = AuditEvent.objects.get(action=AuditAction.AUDIT_PURGED)
    assert purge.details["deleted"] == 1 and purge.details["retention_days"] == 180
    if connection.vendor == "postgresql":
        # The purge's permission ended with it: the surrounding transaction cannot delete.
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [recent.pk])


def _backdate(cursor, pk: int, at: dt.datetime) -> None:
    """Test-only: move an event back in time, lifting the trigger the way the purge does."""
    if connection.vendor == "postgresql":
        trigger = "audit_auditevent_append_only"
        with transaction.atomic():
            # The events' comune is a (deferred) foreign key: its checks of the rows just
            # written must run before the table can be altered.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f"ALTER TABLE audit_auditevent DISABLE TRIGGER {trigger}")
            cursor.execute("UPDATE audit_auditevent SET at = %s WHERE id = %s", [at, pk])
            cursor.execute(f"ALTER TABLE audit_auditevent ENABLE TRIGGER {trigger}")
    else:
        cursor.execute("UPDATE audit_auditevent SET at = %s WHERE id = %s", [at.isoformat(), pk])


def test_an_admin_change_is_mirrored_into_the_trail():
    admin_user = UserFactory(username="amministratore")
    ticket = TicketFactory()

    LogEntry.objects.log_actions(
        user_id=admin_user.pk,
        queryset=[ticket],
        action_flag=CHANGE,
        change_message=[{"changed": {"fields": ["Categoria"]}}],
        single_object=True,
    )

    event = AuditEvent.objects.get(action=AuditAction.ADMIN_CHANGED)
    assert (event.actor_label, event.target_type, event.target_id) == (
        "amministratore",
        "tickets.ticket",
        str(ticket.pk),
    )
    assert "Categoria" in event.details["change"]
    assert ContentType.objects.get_for_model(ticket).model == "ticket"


def test_adding_in_the_admin_is_traced_with_the_address(client, municipality):
    admin_user = UserFactory(roles=[Role.ADMINISTRATOR])
    client.force_login(admin_user)
    url = reverse("admin:tickets_cannedanswer_add")

    response = client.post(
        url,
        {"title": "Orari", "text": "Gli orari sono sul sito.", "is_active": "on"},
        REMOTE_ADDR="10.9.8.7",
        HTTP_USER_AGENT="Edge/130",
    )

    assert response.status_code == 302
    event = AuditEvent.objects.get(action=AuditAction.ADMIN_ADDED)
    assert (event.target_type, event.ip, event.user_agent) == (
        "tickets.cannedanswer",
        "10.9.8.7",
        "Edge/130",
    )
    assert event.request_id


# --- the admin -----------------------------------------------------------------------------------


@pytest.fixture
def administrator(client):
    user = UserFactory(roles=[Role.ADMINISTRATOR], username="admin-audit")
    client.force_login(user)
    return user


def test_an_administrator_searches_and_filters_but_cannot_add_change_or_delete(
    client, administrator
):
    event = _event(actor="giulia")
    _event(actor="paolo", action=AuditAction.MEDIA_DOWNLOADED)
    changelist = reverse("admin:audit_auditevent_changelist")

    by_user = client.get(changelist, {"actor": "giulia"})
    by_action = client.get(changelist, {"action__exact": AuditAction.MEDIA_DOWNLOADED})
    searched = client.get(changelist, {"q": "paolo"})

    assert [e.actor_label for e in by_user.context["cl"].result_list] == ["giulia"]
    assert [e.actor_label for e in by_action.context["cl"].result_list] == ["paolo"]
    assert [e.actor_label for e in searched.context["cl"].result_list] == ["paolo"]
    change_url = reverse("admin:audit_auditevent_change", args=[event.pk])
    assert client.get(reverse("admin:audit_auditevent_add")).status_code == 403
    assert client.post(change_url, {"actor_label": "x"}).status_code == 403
    assert client.get(reverse("admin:audit_auditevent_delete", args=[event.pk])).status_code == 403
    assert AuditEvent.objects.get(pk=event.pk).actor_label == "giulia"


def test_the_filter_by_date_narrows_the_list(client, administrator):
    _event(actor="oggi")
    today = timezone.localdate()
    tomorrow = today + dt.timedelta(days=1)
    changelist = reverse("admin:audit_auditevent_changelist")

    def on(day):
        params = {"at__year": day.year, "at__month": day.month, "at__day": day.day}
        return [e.actor_label for e in client.get(changelist, params).context["cl"].result_list]

    assert on(today) == ["oggi"]
    assert on(tomorrow) == []


@pytest.mark.parametrize("role", [Role.OPERATOR, Role.MODERATOR, Role.SERVICE])
def test_only_administrators_see_the_trail_and_the_register(client, role):
    client.force_login(UserFactory(roles=[role]))

    assert client.get(reverse("admin:audit_auditevent_changelist")).status_code == 403
    assert client.get(reverse("admin:audit_auditevent_export")).status_code == 403
    assert client.get(reverse("admin:audit_processing_records")).status_code == 403


def test_the_csv_export_gives_what_the_filters_show_and_is_itself_traced(client, administrator):
    _event(actor="giulia", details={"note": '=HYPERLINK("x")'})
    _event(actor="paolo")

    response = client.get(reverse("admin:audit_auditevent_export"), {"actor": "giulia"})

    assert response["Content-Type"] == "text/csv"
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:2] == ["quando (UTC)", "chi"]
    assert [row[1] for row in rows[1:]] == ["giulia"]
    # A formula in a cell would run in a spreadsheet: it is quoted.
    assert not rows[1][-1].startswith("=") and "HYPERLINK" in rows[1][-1]
    exported = AuditEvent.objects.get(action=AuditAction.AUDIT_EXPORTED)
    assert exported.actor_label == "admin-audit" and exported.details["filters"] == {
        "actor": "giulia"
    }


def test_deleting_several_objects_at_once_in_the_admin_traces_each(client, municipality):
    from tickets.models import CannedAnswer
    from tickets.tests.factories import CannedAnswerFactory

    client.force_login(UserFactory(roles=[Role.ADMINISTRATOR], username="pulizie"))
    answers = CannedAnswerFactory.create_batch(3)

    client.post(
        reverse("admin:tickets_cannedanswer_changelist"),
        {
            "action": "delete_selected",
            "_selected_action": [a.pk for a in answers],
            "post": "yes",
        },
    )

    assert not CannedAnswer.objects.exists()
    deleted = AuditEvent.objects.filter(action=AuditAction.ADMIN_DELETED)
    assert sorted(deleted.values_list("target_id", flat=True)) == sorted(str(a.pk) for a in answers)
    assert set(deleted.values_list("actor_label", flat=True)) == {"pulizie"}


def test_the_trails_list_runs_a_fixed_number_of_queries(
    client, administrator, django_assert_max_num_queries
):
    for i in range(60):
        _event(actor=f"utente{i % 7}")

    with django_assert_max_num_queries(12):
        response = client.get(reverse("admin:audit_auditevent_changelist"))

    assert response.status_code == 200
