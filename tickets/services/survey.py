"""Satisfaction ("verifica della soddisfazione", Direttiva 7 febbraio 2002): after a ticket is
resolved, one question with three reply buttons, then an optional comment. One survey per
ticket; none after a moderation block; none when the 24-hour window has closed (WhatsApp takes
no free-form message then, and a template just for this would be marketing)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from subscribers.states import SubscriberStatus
from urp_portal.gateway.models import InboundMessage
from urp_portal.municipality.models import Municipality
from urp_portal.municipality.scope import comune_scope
from urp_portal.municipality.selectors import (
    municipality_get_active_or_none,
    municipality_scope_of_row,
)

from ..models import Message, SatisfactionSurvey, Ticket
from ..selectors import reply_window_is_open
from ..states import MessageOrigin, SurveyScore, SurveyState
from .conversation import ticket_send_automatic

PURPOSE_SURVEY = "satisfaction_survey"
PURPOSE_SURVEY_THANKS = "satisfaction_thanks"
BUTTON_PREFIX = "csat"
# The citizen's next message within this long of their answer is taken as the comment.
COMMENT_WINDOW = dt.timedelta(minutes=30)
# A typed answer ("1", "Soddisfatto": Twilio's numbered choices, or a citizen who types) is read
# only this long after the question.
TYPED_ANSWER_WINDOW = dt.timedelta(hours=24)
# Best first, as people read a scale.
BUTTON_ORDER = (SurveyScore.SATISFIED, SurveyScore.FAIR, SurveyScore.UNSATISFIED)


def survey_buttons(survey: SatisfactionSurvey) -> list[dict[str, str]]:
    return [
        {"id": f"{BUTTON_PREFIX}:{survey.pk}:{int(score)}", "title": str(score.label)}
        for score in BUTTON_ORDER
    ]


def survey_send_after_resolution(
    *, ticket: Ticket, now: dt.datetime | None = None
) -> SatisfactionSurvey | None:
    """Ask the citizen of a just-resolved (locked) ticket how satisfied they are, when the
    comune asks and the rules allow it. Call in the resolution's transaction."""
    now = now or timezone.now()
    # The ticket's comune asks, with its texts, from its number, whatever scope resolved it.
    with comune_scope(municipality_scope_of_row(comune_id=ticket.comune_id)):
        return _survey_send(ticket=ticket, now=now)


def _survey_send(*, ticket: Ticket, now: dt.datetime) -> SatisfactionSurvey | None:
    municipality = municipality_get_active_or_none()
    if municipality is None or not municipality.satisfaction_survey_enabled:
        return None
    if not municipality.satisfaction_question_text or not ticket.subscriber.number:
        return None
    if ticket.subscriber.status == SubscriberStatus.BLOCKED:
        return None
    # A moderator removed one of the citizen's messages in this conversation: no survey.
    if Message.objects.filter(ticket=ticket, removed_at__isnull=False).exists():
        return None
    if not reply_window_is_open(ticket=ticket, now=now):
        return None
    survey, created = SatisfactionSurvey.all_comuni.get_or_create(
        ticket=ticket, defaults={"sent_at": now, "comune_id": ticket.comune_id}
    )
    if not created:
        return None
    message = ticket_send_automatic(
        ticket=ticket,
        text=municipality.satisfaction_question_text,
        purpose=PURPOSE_SURVEY,
        now=now,
        buttons=survey_buttons(survey),
    )
    survey.outbound = message.outbound
    survey.save(update_fields=["outbound"])
    return survey


@dataclass(frozen=True)
class SurveyReply:
    survey_id: int
    score: int


def survey_reply_from_button(reply_id: str) -> SurveyReply | None:
    """ "csat:<survey>:<score>" from a button's id; None for any other button."""
    prefix, _sep, rest = reply_id.partition(":")
    survey_id, _sep, score = rest.partition(":")
    if prefix != BUTTON_PREFIX or not survey_id.isdigit() or not score.isdigit():
        return None
    if int(score) not in SurveyScore.values:
        return None
    return SurveyReply(survey_id=int(survey_id), score=int(score))


def survey_reply_from_text(*, survey: SatisfactionSurvey, text: str) -> SurveyReply | None:
    """A typed answer: the number of a choice (1 = the first button) or its title."""
    typed = text.strip().rstrip(".").casefold()
    for index, score in enumerate(BUTTON_ORDER, start=1):
        if typed in (str(index), str(score.label).casefold()):
            return SurveyReply(survey_id=survey.pk, score=int(score))
    return None


def _record_citizen_message(survey: SatisfactionSurvey, message: InboundMessage, at) -> None:
    Message.objects.get_or_create(
        inbound=message,
        defaults={
            "ticket": survey.ticket,
            "origin": MessageOrigin.CITIZEN,
            "kind": message.kind,
            "text": message.text,
            "at": at,
        },
    )


@transaction.atomic
def survey_record_answer(
    *,
    reply: SurveyReply,
    message: InboundMessage,
    municipality: Municipality,
    now: dt.datetime | None = None,
) -> SatisfactionSurvey | None:
    """The citizen's level. Only the first answer counts (a second tap changes nothing), and
    only from the citizen the survey was sent to."""
    now = now or timezone.now()
    survey = (
        SatisfactionSurvey.objects.select_for_update()
        .select_related("ticket__subscriber")
        .filter(pk=reply.survey_id, ticket__subscriber__number=message.sender)
        .first()
    )
    if survey is None or survey.state != SurveyState.SENT:
        return None
    survey.state = SurveyState.ANSWERED
    survey.score = reply.score
    survey.answered_at = message.sent_at or now
    survey.save(update_fields=["state", "score", "answered_at"])
    _record_citizen_message(survey, message, survey.answered_at)
    thanks = municipality.satisfaction_thanks_text or _(
        "Grazie per la sua valutazione. Se vuole, ci scriva ora in un messaggio un breve commento."
    )
    ticket_send_automatic(ticket=survey.ticket, text=thanks, purpose=PURPOSE_SURVEY_THANKS, now=now)
    return survey


@transaction.atomic
def survey_record_comment(
    *, survey: SatisfactionSurvey, message: InboundMessage, now: dt.datetime | None = None
) -> SatisfactionSurvey | None:
    now = now or timezone.now()
    survey = SatisfactionSurvey.objects.select_for_update().get(pk=survey.pk)
    if survey.state != SurveyState.ANSWERED:
        return None
    survey.state = SurveyState.COMMENTED
    survey.comment = message.text.strip()
    survey.commented_at = message.sent_at or now
    survey.save(update_fields=["state", "comment", "commented_at"])
    _record_citizen_message(survey, message, survey.commented_at)
    return survey


def survey_pending_for(*, subscriber, now: dt.datetime) -> SatisfactionSurvey | None:
    """The citizen's latest survey still taking a typed answer or a comment, if any."""
    survey = (
        SatisfactionSurvey.objects.select_related("ticket")
        .filter(ticket__subscriber=subscriber)
        .order_by("-sent_at", "-pk")
        .first()
    )
    if survey is None:
        return None
    if survey.state == SurveyState.SENT and now - survey.sent_at <= TYPED_ANSWER_WINDOW:
        return survey
    if (
        survey.state == SurveyState.ANSWERED
        and survey.answered_at is not None
        and now - survey.answered_at <= COMMENT_WINDOW
    ):
        return survey
    return None
