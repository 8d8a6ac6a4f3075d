"""The moderation's admin: the queue, confirmation pages, block list, history, counts; only
moderators and administrators act."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from moderation import services
from moderation.models import Block, EvidencePackage, ModerationAction, ScreeningFlag
from moderation.states import ActionKind
from subscribers.models import Subscriber
from tests.fixtures.conversation import receive
from tickets.models import Message
from tickets.tests.factories import operator

from .conftest import CITIZEN, OFFICE_HOURS
from .factories import administrator

pytestmark = pytest.mark.django_db


def _act_url(flag, kind):
    return reverse("admin:moderation_flag_act", args=[flag.pk, kind])


def _offensive():
    from moderation.models import PolicyCategory

    return str(PolicyCategory.objects.get(code="offensive").pk)


@pytest.mark.parametrize("kind", ["remove", "warn", "block", "report", "dismiss"])
def test_operators_get_403_on_every_moderation_action(client, insult, kind):
    client.force_login(operator())
    flag = insult.moderation_flag

    page = client.get(_act_url(flag, kind))
    post = client.post(_act_url(flag, kind), {"categories": [_offensive()], "note": ""})

    assert page.status_code == 403
    assert post.status_code == 403
    assert not ModerationAction.objects.exists()


def test_operators_get_403_on_the_queue_blocks_history_and_counts(client, insult):
    client.force_login(operator())
    subscriber = Subscriber.objects.get(number=CITIZEN)

    for url in [
        reverse("admin:moderation_screeningflag_changelist"),
        reverse("admin:moderation_block_changelist"),
        reverse("admin:moderation_citizen_history", args=[subscriber.pk]),
        reverse("admin:moderation_counts"),
        reverse("admin:moderation_case_close", args=[insult.moderation_flag.case_id]),
    ]:
        assert client.get(url).status_code == 403, url


def test_a_moderator_removes_a_message_from_the_queue_through_the_confirmation_page(
    client, insult, moderator
):
    client.force_login(moderator)
    flag = insult.moderation_flag

    confirmation = client.get(_act_url(flag, "remove"))
    assert confirmation.status_code == 200
    assert "coglioni" in confirmation.content.decode()
    assert not ModerationAction.objects.exists()  # a GET changes nothing

    done = client.post(_act_url(flag, "remove"), {"categories": [_offensive()], "note": "Insulti"})

    assert done.status_code == 302
    action = ModerationAction.objects.get()
    assert (action.kind, action.actor, action.note) == (ActionKind.REMOVE, moderator, "Insulti")
    assert Message.objects.get(inbound=insult).removed_at is not None
    queue = client.get(reverse("admin:moderation_screeningflag_changelist"))
    assert "coglioni" not in queue.content.decode()


def test_the_confirmation_page_refuses_an_action_without_a_rule(client, insult, moderator):
    client.force_login(moderator)

    response = client.post(_act_url(insult.moderation_flag, "warn"), {"note": "x"})

    assert response.status_code == 200
    assert "almeno una regola" in response.content.decode()
    assert not ModerationAction.objects.exists()


def test_an_administrator_blocks_with_an_end_date_and_the_block_list_shows_it(client, insult):
    client.force_login(administrator())
    ends = (OFFICE_HOURS + dt.timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")

    client.post(
        _act_url(insult.moderation_flag, "block"),
        {"categories": [_offensive()], "note": "", "ends_at": ends},
    )

    block = Block.objects.get()
    assert block.ends_at == OFFICE_HOURS + dt.timedelta(days=3)
    listing = client.get(reverse("admin:moderation_block_changelist") + "?attivo=1")
    assert reverse("admin:moderation_block_unblock", args=[block.pk]) in listing.content.decode()
    client.post(reverse("admin:moderation_block_unblock", args=[block.pk]), {"note": "ok"})
    block.refresh_from_db()
    assert block.lifted_at is not None


def test_a_moderator_reports_and_verifies_the_package_from_the_admin(client, insult, moderator):
    client.force_login(moderator)

    client.post(_act_url(insult.moderation_flag, "report"), {"categories": [_offensive()]})

    package = EvidencePackage.objects.get()
    download = client.get(reverse("admin:moderation_evidence_download", args=[package.pk]))
    assert download.status_code == 200
    assert download["Content-Type"] == "application/zip"
    verify = client.get(reverse("admin:moderation_evidence_verify", args=[package.pk]))
    assert "integro" in verify.content.decode()


@pytest.mark.parametrize("size", [2, 12])
def test_the_queue_shows_flags_newest_first_with_reasons_in_a_fixed_number_of_queries(
    client, municipality, moderator, size, django_assert_max_num_queries
):
    for index in range(size):
        with time_machine.travel(OFFICE_HOURS + dt.timedelta(minutes=index), tick=False):
            receive(f"+39333000{index:04d}", f"Messaggio {index}: siete degli stronzi")
    client.force_login(moderator)

    with django_assert_max_num_queries(12):
        response = client.get(reverse("admin:moderation_screeningflag_changelist"))

    body = response.content.decode()
    assert body.index(f"Messaggio {size - 1}:") < body.index("Messaggio 0:")
    assert "Linguaggio offensivo" in body
    assert _act_url(ScreeningFlag.objects.first(), "block") in body


def test_the_history_of_a_citizen_lists_cases_actions_flags_and_blocks(
    client, insult, moderator, django_assert_max_num_queries
):
    services.subscriber_warn(inbound=insult, actor=moderator, categories=["offensive"])
    services.subscriber_block(inbound=insult, actor=moderator, categories=["offensive"])
    for text in ("ancora stronzi", "sempre stronzi", "vaffanculo"):
        receive(CITIZEN, text)
    subscriber = Subscriber.objects.get(number=CITIZEN)
    client.force_login(moderator)

    with django_assert_max_num_queries(14):
        response = client.get(reverse("admin:moderation_citizen_history", args=[subscriber.pk]))

    body = response.content.decode()
    assert "avviso al cittadino" in body
    assert "mittente bloccato" in body
    assert "Linguaggio offensivo" in body


def test_counts_per_category_per_month_in_a_fixed_number_of_queries(
    client, municipality, moderator, django_assert_max_num_queries
):
    for month, count in ((1, 2), (2, 3)):
        for index in range(count):
            at = dt.datetime(2026, month, 10, 10, index, tzinfo=OFFICE_HOURS.tzinfo)
            with time_machine.travel(at, tick=False):
                message = receive(f"+3933300{month}{index:03d}", "siete degli stronzi")
                if month == 2:
                    services.message_remove(
                        inbound=message, actor=moderator, categories=["offensive"]
                    )
    client.force_login(moderator)

    with time_machine.travel(OFFICE_HOURS, tick=False), django_assert_max_num_queries(9):
        response = client.get(reverse("admin:moderation_counts"))

    counts = response.context["counts"]
    offensive = next(
        cells for category, cells in response.context["rows"] if category.code == "offensive"
    )
    assert [month.month for month in counts.months] == [2, 1]
    assert offensive == [(3, 3), (2, 0)]
