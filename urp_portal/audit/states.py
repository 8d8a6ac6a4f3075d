from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditAction(models.TextChoices):
    # Views of citizens' personal data.
    CONVERSATION_VIEWED = "conversation_viewed", _("conversazione aperta")
    MEDIA_DOWNLOADED = "media_downloaded", _("allegato visto o scaricato")
    SUBSCRIBER_EXPORTED = "subscriber_exported", _("dati di un cittadino esportati")
    EVIDENCE_DOWNLOADED = "evidence_downloaded", _("pacchetto di prove scaricato")
    # Changes: through the admin (mirrored from its LogEntry) and the services' transitions.
    ADMIN_ADDED = "admin_added", _("aggiunto nel pannello")
    ADMIN_CHANGED = "admin_changed", _("modificato nel pannello")
    ADMIN_DELETED = "admin_deleted", _("eliminato nel pannello")
    STATE_CHANGED = "state_changed", _("cambio di stato")
    SUBSCRIBER_ERASED = "subscriber_erased", _("dati di un cittadino cancellati")
    SUBSCRIBER_IDENTITY_CHANGED = "identity_changed", _("nuovo numero WhatsApp di un cittadino")
    # An emergency alert that went without a second person's confirmation: only the system the
    # comune's configuration names may do that, and every time is recorded.
    ALERT_SENT_ALONE = "alert_sent_alone", _("avviso di emergenza inviato senza seconda conferma")
    # The trail itself: its export and the retention purge are traced too.
    AUDIT_EXPORTED = "audit_exported", _("registro esportato")
    AUDIT_PURGED = "audit_purged", _("registro ripulito (conservazione)")


class AuditChannel(models.TextChoices):
    CONSOLE = "console", _("console")
    API = "api", _("API")
    COMMAND = "command", _("riga di comando")
    SYSTEM = "system", _("sistema")
