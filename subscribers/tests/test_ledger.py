import hashlib
import hmac

import pytest
from django.contrib.auth import get_user_model
from django.db import DatabaseError, connection, transaction
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from tests.fixtures.conversation import receive, texts

from ..errors import AppendOnlyError
from ..models import ConsentRecord, DataSubjectRequest, PrivacyNotice
from ..pseudonyms import number_pseudonym
from ..services import consent_record_create, privacy_notice_in_force
from ..states import ConsentChannel, ConsentKind
from .factories import SubscriberFactory

CITIZEN = "+393471234567"


@pytest.fixture
def record(municipality):
    return consent_record_create(
        subscriber=SubscriberFactory(),
        kind=ConsentKind.BROADCAST_OPT_IN,
        channel=ConsentChannel.WHATSAPP,
        at=timezone.now(),
    )


def test_the_ledger_refuses_to_change_a_record(record):
    record.kind = ConsentKind.BROADCAST_OPT_OUT

    with pytest.raises(AppendOnlyError):
        record.save()
    with pytest.raises(AppendOnlyError):
        ConsentRecord.objects.filter(pk=record.pk).update(kind=ConsentKind.BROADCAST_OPT_OUT)
    with pytest.raises(AppendOnlyError):
        ConsentRecord.objects.bulk_update([record], ["kind"])

    assert ConsentRecord.objects.get(pk=record.pk).kind == ConsentKind.BROADCAST_OPT_IN


def test_the_ledger_refuses_to_delete_a_record(record):
    with pytest.raises(AppendOnlyError):
        record.delete()
    with pytest.raises(AppendOnlyError):
        ConsentRecord.objects.all().delete()
    # Deleting the citizen would take the ledger with it: refused.
    with pytest.raises(DatabaseError), transaction.atomic():
        record.subscriber.delete()

    assert ConsentRecord.objects.filter(pk=record.pk).exists()


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE subscribers_consentrecord SET kind = 'opt_out'",
        "DELETE FROM subscribers_consentrecord",
        "UPDATE subscribers_datasubjectrequest SET reason = ''",
        "UPDATE subscribers_privacynotice SET text = ''",
        "DELETE FROM subscribers_datasubjectrequest",
        "DELETE FROM subscribers_privacynotice",
    ],
)
def test_raw_sql_cannot_rewrite_history_on_postgresql(record, statement):
    DataSubjectRequest.objects.create(
        subscriber=record.subscriber,
        pseudonym=record.pseudonym,
        kind="export",
        outcome="done",
        reason="prova",
        channel=ConsentChannel.COMMAND,
        actor="test",
        at=timezone.now(),
    )

    if connection.vendor == "postgresql":
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(statement)
        assert ConsentRecord.objects.get(pk=record.pk).kind == ConsentKind.BROADCAST_OPT_IN
    else:
        # The embedded SQLite default has no trigger: the models' refusals are its guard.
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM sqlite_master WHERE type = 'trigger'")
            assert cursor.fetchone()[0] == 0


def test_not_even_a_superuser_may_change_or_delete_the_ledger_in_the_admin(client, record):
    admin = get_user_model().objects.create_superuser("capo", "capo@example.it", "x" * 12)
    client.force_login(admin)
    change_url = reverse("admin:subscribers_consentrecord_change", args=[record.pk])

    page = client.get(change_url)
    posted = client.post(change_url, {"kind": ConsentKind.BROADCAST_OPT_OUT})
    deleted = client.post(
        reverse("admin:subscribers_consentrecord_delete", args=[record.pk]), {"post": "yes"}
    )

    assert page.status_code == 200
    assert b'name="_save"' not in page.content
    assert posted.status_code == 403
    assert deleted.status_code == 403
    assert ConsentRecord.objects.get(pk=record.pk).kind == ConsentKind.BROADCAST_OPT_IN


def test_the_pseudonym_is_a_keyed_hmac_of_the_number():
    expected = hmac.new(b"k1", CITIZEN.encode(), hashlib.sha256).hexdigest()

    with override_settings(URP_PSEUDONYM_KEY="k1"):
        assert number_pseudonym(CITIZEN) == expected
    with override_settings(URP_PSEUDONYM_KEY="k2"):
        assert number_pseudonym(CITIZEN) != expected


def test_editing_the_comune_s_notice_makes_a_new_version_and_the_welcome_sends_it(municipality):
    first = privacy_notice_in_force(municipality=municipality)

    municipality.privacy_notice_text = "Nuova informativa del Comune."
    municipality.privacy_notice_version = "2"
    municipality.save()
    receive(CITIZEN, "Iscrivimi")

    current = PrivacyNotice.objects.latest()
    assert current != first
    assert (current.version, current.text) == ("2", "Nuova informativa del Comune.")
    assert texts(CITIZEN)[-1] == "Nuova informativa del Comune."
    assert ConsentRecord.objects.filter(notice=current, notice_version="2").count() == 2
    assert PrivacyNotice.objects.get(pk=first.pk).version == first.version


def test_saving_the_comune_unchanged_makes_no_new_version(municipality):
    before = PrivacyNotice.objects.count()

    municipality.save()
    municipality.save()

    assert PrivacyNotice.objects.count() == before == 1
