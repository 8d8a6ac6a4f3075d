"""The first-contact identity conversation (Assemini: "Al primo contatto il cittadino dovrà
fornire il proprio nome, cognome e data di nascita"). One question at a time; the state is on the
Subscriber row, so a restart in the middle loses nothing."""

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from urp_portal.gateway.models import InboundMessage
from urp_portal.gateway.services import outbound_message_create
from urp_portal.municipality.models import Municipality

from ..identity import IdentityAnswerInvalid, parse_birth_date, parse_person_name
from ..models import Subscriber
from ..states import IdentityStep

PURPOSE_IDENTITY = "identity"


@dataclass
class IdentityAdvance:
    subscriber: Subscriber
    completed: bool
    # The citizen's first message, to go on through the pipeline now that we know who wrote it.
    held_message_id: int | None = None


def _ask(subscriber: Subscriber, text: str) -> None:
    assert subscriber.number is not None
    outbound_message_create(to=subscriber.number, purpose=PURPOSE_IDENTITY, text=text)


def _question(step: str) -> str:
    questions: dict[str, str] = {
        IdentityStep.ASK_FIRST_NAME: _("Per cominciare, ci scriva il suo nome."),
        IdentityStep.ASK_LAST_NAME: _("Grazie. Ora ci scriva il suo cognome."),
        IdentityStep.ASK_BIRTH_DATE: _(
            "Grazie. Infine ci scriva la sua data di nascita (ad esempio 12/03/1965)."
        ),
    }
    return questions[step]


@transaction.atomic
def subscriber_identity_advance(
    *,
    subscriber: Subscriber,
    municipality: Municipality,
    message: InboundMessage,
    now: dt.datetime | None = None,
) -> IdentityAdvance:
    """Take one message of a citizen whose identity is not known yet: hold the first one and ask
    the first question, or read the answer to the pending question and ask the next (or again,
    with a hint)."""
    now = now or timezone.now()
    subscriber = Subscriber.objects.select_for_update().get(pk=subscriber.pk)
    step = subscriber.identity_step
    if step == IdentityStep.COMPLETE:
        return IdentityAdvance(subscriber=subscriber, completed=False)

    if step == IdentityStep.NOT_STARTED:
        subscriber.identity_held_message = message
        subscriber.identity_step = IdentityStep.ASK_FIRST_NAME
        subscriber.save(update_fields=["identity_held_message", "identity_step", "updated_at"])
        intro = municipality.identity_request_text or _(
            "Prima di rispondere alla sua richiesta le chiediamo nome, cognome e data di nascita."
        )
        _ask(subscriber, f"{intro}\n\n{_question(IdentityStep.ASK_FIRST_NAME)}")
        return IdentityAdvance(subscriber=subscriber, completed=False)

    try:
        if step == IdentityStep.ASK_FIRST_NAME:
            subscriber.first_name = parse_person_name(message.text, what=_("nome"))
            subscriber.identity_step = IdentityStep.ASK_LAST_NAME
            fields = ["first_name"]
        elif step == IdentityStep.ASK_LAST_NAME:
            subscriber.last_name = parse_person_name(message.text, what=_("cognome"))
            subscriber.identity_step = IdentityStep.ASK_BIRTH_DATE
            fields = ["last_name"]
        else:
            subscriber.birth_date = parse_birth_date(message.text, today=timezone.localdate(now))
            subscriber.identity_step = IdentityStep.COMPLETE
            subscriber.identity_completed_at = now
            fields = ["birth_date", "identity_completed_at"]
    except IdentityAnswerInvalid as invalid:
        _ask(subscriber, invalid.hint)
        return IdentityAdvance(subscriber=subscriber, completed=False)

    if subscriber.identity_step != IdentityStep.COMPLETE:
        subscriber.save(update_fields=[*fields, "identity_step", "updated_at"])
        _ask(subscriber, _question(subscriber.identity_step))
        return IdentityAdvance(subscriber=subscriber, completed=False)

    held_id = subscriber.identity_held_message_id
    subscriber.identity_held_message = None
    subscriber.save(update_fields=[*fields, "identity_step", "identity_held_message", "updated_at"])
    if held_id:
        thanks = _(
            "Grazie, %(name)s. Abbiamo i suoi dati: ora passiamo il suo primo messaggio "
            "all'ufficio, che le risponderà qui."
        )
    else:
        thanks = _("Grazie, %(name)s. Abbiamo i suoi dati: ci scriva pure la sua richiesta.")
    _ask(subscriber, thanks % {"name": subscriber.first_name})
    return IdentityAdvance(subscriber=subscriber, completed=True, held_message_id=held_id)
