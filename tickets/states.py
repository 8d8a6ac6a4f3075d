"""The life of a ticket: its states, the moves allowed between them, and the other choices."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class TicketState(models.TextChoices):
    # Opened by a citizen's message; nobody at the URP has touched it yet.
    NEW = "new", _("nuova")
    # An operator is working on it.
    OPEN = "open", _("in lavorazione")
    # The URP asked the citizen something and waits for the answer; a new message reopens it.
    WAITING_CITIZEN = "waiting_citizen", _("in attesa del cittadino")
    # Sent to the competent municipal service, which has not answered yet.
    FORWARDED = "forwarded", _("inoltrata a un servizio")
    # The service answered; the URP reads the answer and sends it on (or it went directly).
    ANSWERED_BY_SERVICE = "answered_by_service", _("risposta del servizio")
    # Answered; a new message from the citizen opens a new ticket.
    RESOLVED = "resolved", _("risolta")
    # Closed without an answer here (e.g. "goes through the official channel").
    CLOSED = "closed", _("chiusa")

    @classmethod
    def finished(cls) -> tuple[str, ...]:
        return (cls.RESOLVED, cls.CLOSED)

    @classmethod
    def unfinished(cls) -> tuple[str, ...]:
        return tuple(state for state in cls.values if state not in cls.finished())

    @classmethod
    def pending(cls) -> tuple[str, ...]:
        """States in which the comune still owes the citizen an answer (the deadline runs)."""
        return (cls.NEW, cls.OPEN, cls.FORWARDED, cls.ANSWERED_BY_SERVICE)


_WORKING = {
    TicketState.NEW,
    TicketState.OPEN,
    TicketState.WAITING_CITIZEN,
    TicketState.FORWARDED,
    TicketState.ANSWERED_BY_SERVICE,
}

# from -> the states it may move to. Finished tickets do not move: a new message opens a new one.
TRANSITIONS: dict[str, set[str]] = {
    TicketState.NEW: {
        TicketState.OPEN,
        TicketState.WAITING_CITIZEN,
        TicketState.FORWARDED,
        TicketState.RESOLVED,
        TicketState.CLOSED,
    },
    TicketState.OPEN: _WORKING - {TicketState.NEW, TicketState.OPEN}
    | {TicketState.RESOLVED, TicketState.CLOSED},
    TicketState.WAITING_CITIZEN: {
        TicketState.OPEN,
        TicketState.FORWARDED,
        TicketState.RESOLVED,
        TicketState.CLOSED,
    },
    TicketState.FORWARDED: {
        TicketState.OPEN,
        TicketState.FORWARDED,  # forwarded again, to another service
        TicketState.ANSWERED_BY_SERVICE,
        TicketState.RESOLVED,
        TicketState.CLOSED,
    },
    TicketState.ANSWERED_BY_SERVICE: {
        TicketState.OPEN,
        TicketState.WAITING_CITIZEN,
        TicketState.FORWARDED,
        TicketState.RESOLVED,
        TicketState.CLOSED,
    },
    TicketState.RESOLVED: set(),
    TicketState.CLOSED: set(),
}


def can_transition(from_state: str, to_state: str) -> bool:
    return to_state in TRANSITIONS.get(from_state, set())


class TicketCategory(models.TextChoices):
    INFORMATION = "information", _("richiesta di informazioni")
    REPORT = "report", _("segnalazione")
    COMPLAINT = "complaint", _("reclamo")
    SUGGESTION = "suggestion", _("suggerimento")
    RECORDS_ACCESS = "records_access", _("accesso agli atti")
    OTHER = "other", _("altro")


class ClosingReason(models.TextChoices):
    # Ancona's reports, Assemini's access-to-records requests: the official channels, not WhatsApp.
    OFFICIAL_CHANNEL = "official_channel", _("va presentata sui canali ufficiali")
    DUPLICATE = "duplicate", _("duplicato")
    NO_ANSWER_NEEDED = "no_answer_needed", _("nessuna risposta necessaria")
    ERASED = "erased", _("dati del cittadino cancellati")


class MessageOrigin(models.TextChoices):
    CITIZEN = "citizen", _("cittadino")
    OPERATOR = "operator", _("operatore URP")
    # A municipal service's answer; sent to the citizen only when the comune allows it.
    SERVICE = "service", _("servizio comunale")
    # Sent by the product itself (out of hours, first contact, official channel).
    AUTOMATIC = "automatic", _("risposta automatica")
    # Seen only by the staff, never sent.
    NOTE = "note", _("nota interna")


class TicketEventKind(models.TextChoices):
    STATE = "state", _("cambio di stato")
    ASSIGNED = "assigned", _("assegnazione")
    FORWARDED = "forwarded", _("inoltro")
    SERVICE_ANSWER = "service_answer", _("risposta del servizio")
    CATEGORY = "category", _("categoria o servizio")
    DEADLINE_WARNING = "deadline_warning", _("avviso di scadenza")
    # The deadline passed: the assignee, then the URP's head, each working day while late.
    ESCALATION = "escalation", _("sollecito per ritardo")
    # A rule recognised a request that belongs to another channel.
    ELSEWHERE = "elsewhere", _("richiesta per altri canali")


class ElsewhereKind(models.TextChoices):
    """Requests the comune may not take on WhatsApp (Assemini, Ancona), by rule."""

    REPORT = "report", _("segnalazione")
    RECORDS_ACCESS = "records_access", _("accesso agli atti")


# The category a ticket gets when it is redirected for that reason.
CATEGORY_OF_ELSEWHERE = {
    ElsewhereKind.REPORT: TicketCategory.REPORT,
    ElsewhereKind.RECORDS_ACCESS: TicketCategory.RECORDS_ACCESS,
}


class SurveyState(models.TextChoices):
    # The question with its buttons went out; no answer yet.
    SENT = "sent", _("inviata")
    # The citizen chose a level; a comment may follow for a short while.
    ANSWERED = "answered", _("risposta")
    # The comment arrived too: nothing more is taken.
    COMMENTED = "commented", _("risposta con commento")


class SurveyScore(models.IntegerChoices):
    # Three levels: WhatsApp's reply buttons are at most three.
    UNSATISFIED = 1, _("Insoddisfatto")
    FAIR = 2, _("Abbastanza")
    SATISFIED = 3, _("Soddisfatto")
