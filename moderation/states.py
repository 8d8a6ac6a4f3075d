from django.db import models
from django.utils.translation import gettext_lazy as _


class CaseState(models.TextChoices):
    # Flags or actions on the citizen are being dealt with: their messages are under legal hold.
    OPEN = "open", _("aperto")
    # The moderator closed it: the hold ends, retention and erasure apply again.
    CLOSED = "closed", _("chiuso")


class ActionKind(models.TextChoices):
    # The message is hidden from the operators and from exports, kept as evidence.
    REMOVE = "remove", _("messaggio rimosso")
    RESTORE = "restore", _("messaggio ripristinato")
    # The citizen received the configured warning text.
    WARN = "warn", _("avviso al cittadino")
    # A warning cannot be unsent: withdrawing it only says it no longer counts.
    WITHDRAW_WARNING = "withdraw_warn", _("avviso ritirato")
    # New messages are stored but open no ticket and get no reply.
    BLOCK = "block", _("mittente bloccato")
    UNBLOCK = "unblock", _("mittente sbloccato")
    # A block with an end date ended by itself (no moderator).
    BLOCK_LAPSED = "block_lapsed", _("blocco scaduto")
    # A sealed evidence package for the judicial authorities: the evidence record, never undone.
    REPORT = "report", _("segnalazione alle autorità")
    # The moderator read the flagged message and found nothing against the policy.
    DISMISS = "dismiss", _("segnalazione archiviata")
    # A dismissed flag sent back to the queue.
    REOPEN_FLAG = "reopen_flag", _("segnalazione riaperta")
    CLOSE_CASE = "close", _("caso chiuso")


# What undoes what (a moderator's reversal); REPORT is absent on purpose.
REVERSALS: dict[str, str] = {
    ActionKind.REMOVE: ActionKind.RESTORE,
    ActionKind.WARN: ActionKind.WITHDRAW_WARNING,
    ActionKind.BLOCK: ActionKind.UNBLOCK,
    ActionKind.DISMISS: ActionKind.REOPEN_FLAG,
}


class BlockEnd(models.TextChoices):
    UNBLOCKED = "unblocked", _("sbloccato da un moderatore")
    LAPSED = "lapsed", _("scaduto")


class LexiconKind(models.TextChoices):
    # Offensive or vulgar language (category "offensive").
    INSULT = "insult", _("insulto o volgarità")
    # Slurs against a group (category "discrimination").
    SLUR = "slur", _("termine discriminatorio")
