"""The moderator's actions: audited, naming the rules, reversible except the report."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from broadcasts.selectors import audience_recipients
from broadcasts.states import Audience
from moderation import services
from moderation.errors import ActionNotReversible, ModerationNotAllowed, NoCategory
from moderation.models import Block, ModerationAction, ModerationSettings, PolicyCategory
from moderation.screening import CATEGORY_CODES
from moderation.states import ActionKind, BlockEnd
from subscribers.models import Subscriber
from subscribers.selectors import subscriber_personal_data
from subscribers.states import SubscriberStatus
from tests.fixtures.conversation import outbox, receive
from tickets.models import Message, Ticket
from tickets.selectors import ticket_list_search
from tickets.tests.factories import operator
from urp_portal.gateway.models import InboundMessage
from urp_portal.municipality.errors import UserError

from .conftest import CITIZEN, OFFICE_HOURS, ticket_of

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("code", CATEGORY_CODES)
def test_each_category_of_the_policy_can_be_applied(insult, moderator, code):
    action = services.message_remove(inbound=insult, actor=moderator, categories=[code])

    assert list(action.categories.values_list("code", flat=True)) == [code]
    assert action.kind == ActionKind.REMOVE
    assert action.actor == moderator
    assert action.at == OFFICE_HOURS
    assert action.subscriber.number == CITIZEN


def test_every_action_names_at_least_one_rule(insult, moderator):
    with pytest.raises(NoCategory):
        services.message_remove(inbound=insult, actor=moderator, categories=[])

    assert not ModerationAction.objects.exists()


def test_operators_cannot_act(insult):
    with pytest.raises(ModerationNotAllowed):
        services.message_remove(inbound=insult, actor=operator(), categories=["offensive"])


def test_an_action_is_audited_with_its_note_and_several_rules(insult, moderator):
    services.subscriber_warn(
        inbound=insult,
        actor=moderator,
        categories=["offensive", "defamation_threat"],
        note="Insulti ripetuti",
    )

    action = ModerationAction.objects.get()
    assert action.note == "Insulti ripetuti"
    assert set(action.categories.values_list("code", flat=True)) == {
        "offensive",
        "defamation_threat",
    }
    assert action.inbound == insult


# --- remove ---------------------------------------------------------------------------------------


def test_removing_hides_the_message_from_the_operators_view_but_keeps_the_evidence(
    client, insult, moderator
):
    receive(CITIZEN, "Seconda segnalazione: anche il lampione è spento")
    ticket = ticket_of()
    client.force_login(operator())

    services.message_remove(inbound=insult, actor=moderator, categories=["offensive"])

    page = client.get(reverse("admin:tickets_ticket_conversation", args=[ticket.pk]))
    body = page.content.decode()
    assert "coglioni" not in body
    assert "lampione" in body
    inbox = client.get(reverse("admin:tickets_ticket_changelist")).content.decode()
    assert "coglioni" not in inbox
    assert "lampione" in inbox
    # The evidence: the gateway's row and the ticket's row keep every word.
    insult.refresh_from_db()
    assert "coglioni" in insult.text
    kept = Message.objects.get(inbound=insult)
    assert "coglioni" in kept.text
    assert kept.removed_at is not None
    assert insult in ModerationAction.objects.get().case.messages.all()


def test_a_removed_message_is_no_longer_found_by_its_words_until_restored(insult, moderator):
    receive(CITIZEN, "Seconda segnalazione: anche il lampione è spento")
    ticket = ticket_of()

    def found(term):
        return list(ticket_list_search(tickets=Ticket.objects.all(), term=term))

    assert found("coglioni") == [ticket]

    removal = services.message_remove(inbound=insult, actor=moderator, categories=["offensive"])

    assert found("coglioni") == []
    assert found("lampione") == [ticket]
    services.action_reverse(action=removal, actor=moderator, note="Errore")
    assert found("coglioni") == [ticket]


def test_removing_hides_the_message_from_the_citizens_export(insult, moderator):
    receive(CITIZEN, "Seconda segnalazione: anche il lampione è spento")
    subscriber = Subscriber.objects.get(number=CITIZEN)
    before = subscriber_personal_data(subscriber=subscriber)["received_messages"]

    services.message_remove(inbound=insult, actor=moderator, categories=["offensive"])

    data = subscriber_personal_data(subscriber=subscriber)
    assert data["received_messages"] == [before[1]]  # the same shape, the removed one left out
    assert "coglioni" not in str(data)
    assert [row["action"] for row in data["moderation"]] == ["messaggio rimosso"]


def test_a_removed_message_media_is_not_served_to_operators(client, insult, moderator):
    services.message_remove(inbound=insult, actor=moderator, categories=["offensive"])
    client.force_login(operator())

    response = client.get(reverse("tickets:media", args=[Message.objects.get(inbound=insult).pk]))

    assert response.status_code == 404


def test_a_moderator_restores_a_removed_message(insult, moderator):
    removal = services.message_remove(inbound=insult, actor=moderator, categories=["offensive"])

    restore = services.action_reverse(action=removal, actor=moderator, note="Errore")

    assert restore.kind == ActionKind.RESTORE
    assert restore.reverses == removal
    assert list(restore.categories.all()) == list(removal.categories.all())
    assert Message.objects.get(inbound=insult).removed_at is None
    with pytest.raises(UserError):
        services.action_reverse(action=removal, actor=moderator)


# --- warn -----------------------------------------------------------------------------------------


def test_warning_sends_the_default_text_naming_the_rules(insult, moderator):
    action = services.subscriber_warn(inbound=insult, actor=moderator, categories=["offensive"])

    warning = outbox(CITIZEN)[-1]
    assert warning == action.outbound
    assert warning.purpose == services.PURPOSE_WARNING
    assert "linguaggio offensivo" in warning.text
    assert "Comune di Cagliari" in warning.text


def test_warning_sends_the_text_the_comune_configured(insult, moderator):
    ModerationSettings.objects.filter(pk=1).update(
        warning_text="{comune}: rispetti le regole ({categorie})."
    )

    services.subscriber_warn(inbound=insult, actor=moderator, categories=["spam_links"])

    assert (
        outbox(CITIZEN)[-1].text
        == "Comune di Cagliari: rispetti le regole (spam o link fuori tema)."
    )


# --- block ----------------------------------------------------------------------------------------


def test_a_blocked_senders_message_is_stored_opens_no_ticket_and_gets_no_reply(insult, moderator):
    Ticket.objects.all().delete()
    services.subscriber_block(inbound=insult, actor=moderator, categories=["offensive"])
    sent_before = len(outbox(CITIZEN))

    message = receive(CITIZEN, "Mi avete bloccato? Vergogna")

    assert InboundMessage.objects.filter(pk=message.pk, text="Mi avete bloccato? Vergogna").exists()
    assert message.handled_by == "moderation.inbound.drop_if_blocked"
    assert not Ticket.objects.exists()
    assert len(outbox(CITIZEN)) == sent_before
    block = Block.objects.get()
    assert message in block.case.messages.all()  # kept as evidence under the case


def test_blocking_sets_the_status_and_unblocking_gives_back_the_previous_one(insult, moderator):
    Subscriber.objects.filter(number=CITIZEN).update(status=SubscriberStatus.SUBSCRIBED)

    block_action = services.subscriber_block(
        inbound=insult, actor=moderator, categories=["offensive"]
    )
    assert Subscriber.objects.get(number=CITIZEN).status == SubscriberStatus.BLOCKED

    unblock = services.action_reverse(action=block_action, actor=moderator)

    assert unblock.kind == ActionKind.UNBLOCK
    assert unblock.reverses == block_action
    assert Subscriber.objects.get(number=CITIZEN).status == SubscriberStatus.SUBSCRIBED
    assert Block.objects.get().end_reason == BlockEnd.UNBLOCKED
    message = receive(CITIZEN, "Grazie, ora scrivo educatamente")
    assert message.handled_by == ""


@pytest.mark.parametrize(
    "previous",
    [SubscriberStatus.CONTACT, SubscriberStatus.SUBSCRIBED, SubscriberStatus.UNSUBSCRIBED],
)
def test_unblocking_restores_each_status_a_citizen_may_have_had(insult, moderator, previous):
    Subscriber.objects.filter(number=CITIZEN).update(status=previous)
    block_action = services.subscriber_block(
        inbound=insult, actor=moderator, categories=["offensive"]
    )

    services.action_reverse(action=block_action, actor=moderator)

    assert Subscriber.objects.get(number=CITIZEN).status == previous
    assert audience_recipients(audience=Audience.ALL_SUBSCRIBED).filter(
        number=CITIZEN
    ).exists() == (previous == SubscriberStatus.SUBSCRIBED)


def test_a_blocked_citizen_cannot_be_blocked_twice(insult, moderator):
    services.subscriber_block(inbound=insult, actor=moderator, categories=["offensive"])

    with pytest.raises(UserError):
        services.subscriber_block(inbound=insult, actor=moderator, categories=["offensive"])


def test_a_block_with_an_end_date_lapses_by_itself(insult, moderator, office_hours):
    ends = OFFICE_HOURS + dt.timedelta(days=7)
    services.subscriber_block(
        inbound=insult, actor=moderator, categories=["offensive"], ends_at=ends
    )

    with time_machine.travel(ends - dt.timedelta(minutes=1), tick=False):
        assert services.blocks_lapse() == 0
    with time_machine.travel(ends + dt.timedelta(minutes=1), tick=False):
        assert services.blocks_lapse() == 1

    assert Subscriber.objects.get(number=CITIZEN).status == SubscriberStatus.CONTACT
    lapse = ModerationAction.objects.get(kind=ActionKind.BLOCK_LAPSED)
    assert lapse.actor is None
    assert list(lapse.categories.values_list("code", flat=True)) == ["offensive"]
    assert Block.objects.get().end_reason == BlockEnd.LAPSED


def test_a_lapsed_block_lets_the_next_message_through_even_before_the_periodic_run(
    insult, moderator
):
    ends = OFFICE_HOURS + dt.timedelta(days=1)
    services.subscriber_block(
        inbound=insult, actor=moderator, categories=["offensive"], ends_at=ends
    )
    Ticket.objects.all().delete()

    with time_machine.travel(ends + dt.timedelta(hours=1), tick=False):
        message = receive(CITIZEN, "Buongiorno, vorrei un certificato")

    assert message.handled_by == ""
    assert Ticket.objects.filter(subscriber__number=CITIZEN).exists()
    assert Block.objects.get().end_reason == BlockEnd.LAPSED


def test_the_periodic_task_lapses_blocks(insult, moderator):
    from moderation.tasks import moderation_blocks_lapse_task

    ends = OFFICE_HOURS + dt.timedelta(hours=2)
    services.subscriber_block(
        inbound=insult, actor=moderator, categories=["offensive"], ends_at=ends
    )

    with time_machine.travel(ends, tick=False):
        assert moderation_blocks_lapse_task() == 1
        assert moderation_blocks_lapse_task() == 0


# --- dismiss and the report's irreversibility -----------------------------------------------------


def test_dismissing_takes_the_message_out_of_the_queue_and_off_the_badge(insult, moderator):
    flag = insult.moderation_flag

    action = services.flag_dismiss(flag=flag, actor=moderator, note="Citazione")

    flag.refresh_from_db()
    assert flag.reviewed_by == moderator
    assert Message.objects.get(inbound=insult).moderation_note == ""
    assert list(action.categories.values_list("code", flat=True)) == ["offensive"]
    services.action_reverse(action=action, actor=moderator)
    flag.refresh_from_db()
    assert flag.reviewed_at is None
    assert Message.objects.get(inbound=insult).moderation_note


def test_the_report_to_the_authorities_cannot_be_undone(insult, moderator):
    package = services.case_report(
        case=insult.moderation_flag.case, actor=moderator, categories=["defamation_threat"]
    )

    with pytest.raises(ActionNotReversible):
        services.action_reverse(action=package.action, actor=moderator)


def test_the_audit_cannot_be_rewritten(insult, moderator):
    from subscribers.errors import AppendOnlyError

    action = services.message_remove(inbound=insult, actor=moderator, categories=["offensive"])

    action.note = "cambiato"
    with pytest.raises(AppendOnlyError):
        action.save()
    with pytest.raises(AppendOnlyError):
        ModerationAction.objects.all().delete()
    assert PolicyCategory.objects.count() == 9
