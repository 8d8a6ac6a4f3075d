from django.db import models
from django.utils.translation import gettext_lazy as _


class SubscriberStatus(models.TextChoices):
    # Wrote to the URP at least once; not on the broadcast list.
    CONTACT = "contact", _("ha scritto")
    # On the broadcast list.
    SUBSCRIBED = "subscribed", _("iscritto")
    # Left the list; personal data is erased or anonymised per the comune's retention setting.
    UNSUBSCRIBED = "unsubscribed", _("cancellato")
    # Blocked by a moderator: stored, no ticket, no reply, no broadcast.
    BLOCKED = "blocked", _("bloccato")
    # Personal data gone; the row stays so statistics and the consent ledger still add up.
    ANONYMISED = "anonymised", _("anonimizzato")


# A status changes only along these arrows (services check them).
SUBSCRIBER_TRANSITIONS: dict[str, set[str]] = {
    SubscriberStatus.CONTACT: {
        SubscriberStatus.SUBSCRIBED,
        SubscriberStatus.BLOCKED,
        SubscriberStatus.ANONYMISED,
    },
    SubscriberStatus.SUBSCRIBED: {
        SubscriberStatus.UNSUBSCRIBED,
        SubscriberStatus.BLOCKED,
        SubscriberStatus.ANONYMISED,
    },
    SubscriberStatus.UNSUBSCRIBED: {
        SubscriberStatus.SUBSCRIBED,
        SubscriberStatus.BLOCKED,
        SubscriberStatus.ANONYMISED,
    },
    # Moderation's unblock (or a block that lapses) gives back the status the citizen had when
    # blocked (moderation.Block.previous_status): any of those that may be blocked.
    SubscriberStatus.BLOCKED: {
        SubscriberStatus.CONTACT,
        SubscriberStatus.SUBSCRIBED,
        SubscriberStatus.UNSUBSCRIBED,
        SubscriberStatus.ANONYMISED,
    },
    # Nothing is left to change: a number that writes again is a new Subscriber, linked back.
    SubscriberStatus.ANONYMISED: set(),
}


class SubscriberTransitionError(ValueError):
    """A status change the table above does not allow: a bug in the caller, not a user error."""


def subscriber_transition_check(current: str, new: str) -> None:
    """For the services (of this app and of moderation) that change a citizen's status."""
    if new not in SUBSCRIBER_TRANSITIONS[current]:
        raise SubscriberTransitionError(f"a subscriber cannot go from {current} to {new}")


class IdentityStep(models.TextChoices):
    """Where the first-contact identity conversation (Assemini) stands, one question at a time."""

    # Not asked yet (or the comune does not ask).
    NOT_STARTED = "not_started", _("non iniziata")
    ASK_FIRST_NAME = "first_name", _("in attesa del nome")
    ASK_LAST_NAME = "last_name", _("in attesa del cognome")
    ASK_BIRTH_DATE = "birth_date", _("in attesa della data di nascita")
    # Name, surname and date of birth are known: messages go on to the ticket.
    COMPLETE = "complete", _("completata")


class ConsentKind(models.TextChoices):
    # The citizen received the privacy notice of the recorded version (sent with the welcome).
    NOTICE_ACKNOWLEDGED = "notice_ack", _("informativa ricevuta e accettata")
    # The notice was sent at first contact to someone who wrote without subscribing (art. 13):
    # the version sent is recorded; using the service is accepting it (the comune's notices).
    NOTICE_SENT = "notice_sent", _("informativa inviata al primo contatto")
    BROADCAST_OPT_IN = "opt_in", _("iscrizione alla lista broadcast")
    BROADCAST_OPT_OUT = "opt_out", _("cancellazione dalla lista broadcast")
    # Personal data destroyed or anonymised (GDPR art. 17, or the comune's retention period).
    ERASURE = "erasure", _("dati personali cancellati")
    # WhatsApp's own control: the citizen stopped or resumed marketing messages.
    MARKETING_STOP = "mkt_stop", _("messaggi promozionali fermati in WhatsApp")
    MARKETING_RESUME = "mkt_resume", _("messaggi promozionali riattivati in WhatsApp")
    # WhatsApp reported a new number or a new user id for the same citizen.
    IDENTITY_CHANGE = "id_change", _("nuovo numero o identificativo WhatsApp")


class ConsentChannel(models.TextChoices):
    WHATSAPP = "whatsapp", _("messaggio WhatsApp")
    ADMIN = "admin", _("amministrazione")
    COMMAND = "command", _("riga di comando")
    # The periodic task that applies the comune's retention period.
    RETENTION = "retention", _("termine di conservazione")


class DataSubjectRequestKind(models.TextChoices):
    EXPORT = "export", _("accesso ai dati (art. 15)")
    ERASURE = "erasure", _("cancellazione (art. 17)")


class DataSubjectRequestOutcome(models.TextChoices):
    DONE = "done", _("eseguita")
    # Something (e.g. a moderation case under legal hold) requires the data for now.
    POSTPONED = "postponed", _("rinviata")
