from django.db import models
from django.utils.translation import gettext_lazy as _


class MessageKind(models.TextChoices):
    TEXT = "text", _("testo")
    IMAGE = "image", _("immagine")
    AUDIO = "audio", _("audio")
    VOICE = "voice", _("messaggio vocale")
    VIDEO = "video", _("video")
    DOCUMENT = "document", _("documento")
    STICKER = "sticker", _("sticker")
    LOCATION = "location", _("posizione")
    BUTTON = "button", _("risposta a un pulsante")
    INTERACTIVE = "interactive", _("scelta da un elenco o pulsante")
    REACTION = "reaction", _("reazione")
    CONTACTS = "contacts", _("contatto condiviso")
    # The citizen changed (edit) or deleted (revoke) a message sent before: never a bubble of
    # its own, they change the bubble of the original.
    EDIT = "edit", _("messaggio modificato")
    REVOKE = "revoke", _("messaggio eliminato")
    # Opened the chat for the first time (WhatsApp's "request_welcome"): the comune's welcome.
    WELCOME_REQUEST = "welcome_req", _("prima apertura della chat")
    FLOW_REPLY = "flow_reply", _("risposta a un modulo")
    ORDER = "order", _("ordine")
    CALL_PERMISSION = "call_perm", _("risposta al permesso di chiamata")
    # WhatsApp's own notices about the citizen: a new number, a new user id.
    SYSTEM = "system", _("avviso di sistema")
    # The citizen stopped or resumed marketing messages in WhatsApp (user_preferences).
    PREFERENCE = "preference", _("preferenza sui messaggi promozionali")
    UNSUPPORTED = "unsupported", _("non supportato")

    @classmethod
    def media_kinds(cls) -> set[str]:
        return {cls.IMAGE, cls.AUDIO, cls.VOICE, cls.VIDEO, cls.DOCUMENT, cls.STICKER}


class InboundState(models.TextChoices):
    # Stored, not yet through the inbound pipeline.
    RECEIVED = "received", _("ricevuto")
    # Went through the pipeline; `handled_by` names the step that took it.
    PROCESSED = "processed", _("elaborato")


class OutboundState(models.TextChoices):
    # Written with the change that caused it; the send task will pick it up after commit.
    QUEUED = "queued", _("in coda")
    # A worker took it and is talking to the gateway; a row left here by a killed worker is
    # "in flight": it may or may not have reached WhatsApp, so it is marked for review.
    SENDING = "sending", _("in invio")
    SENT = "sent", _("inviato")
    DELIVERED = "delivered", _("consegnato")
    READ = "read", _("letto")
    FAILED = "failed", _("non consegnato")
    # Not sent on purpose: the recipient unsubscribed or was blocked before it went out.
    CANCELLED = "cancelled", _("annullato")


# Provider statuses only move forward: a late "delivered" never undoes a "read".
OUTBOUND_PROGRESS = {
    OutboundState.QUEUED: 0,
    OutboundState.SENDING: 1,
    OutboundState.SENT: 2,
    OutboundState.DELIVERED: 3,
    OutboundState.READ: 4,
}
