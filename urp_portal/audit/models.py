from django.db import models
from django.utils.translation import gettext_lazy as _

from urp_portal.municipality.scope import ComuneScopedManager, comune_owner_field

from .errors import AppendOnlyError
from .states import AuditAction, AuditChannel


class AuditEventQuerySet(models.QuerySet):
    """Bulk rewrites are refused here; on PostgreSQL a trigger refuses them for raw SQL too. The
    only deletion is the retention purge (services.audit_purge_expired)."""

    def update(self, **kwargs):
        raise AppendOnlyError("Audit events cannot be updated.")

    def delete(self):
        raise AppendOnlyError("Audit events cannot be deleted; the retention purge removes them.")

    def bulk_update(self, objs, fields, batch_size=None):
        raise AppendOnlyError("Audit events cannot be updated.")

    def _purge(self) -> int:
        # Reached only through audit_purge_expired, which also lifts the database's refusal.
        deleted, _per_model = models.QuerySet.delete(self)
        return deleted


class AuditEvent(models.Model):
    """One look at, or change of, the service's data. Append-only.

    Who acted is kept as words and an id, not a foreign key: the trail must outlive the account
    (a deleted user's events stay, and deleting a user must not have to rewrite them)."""

    # The comune whose staff, token or task acted (empty: the active comune's): each comune's
    # trail is its own.
    comune = comune_owner_field()
    at = models.DateTimeField(_("quando"), db_index=True)
    actor_id = models.BigIntegerField(_("id dell'utente"), null=True, blank=True, db_index=True)
    actor_label = models.CharField(_("chi"), max_length=150, db_index=True)
    action = models.CharField(_("azione"), max_length=30, choices=AuditAction.choices)
    channel = models.CharField(_("canale"), max_length=10, choices=AuditChannel.choices)
    target_type = models.CharField(_("tipo di oggetto"), max_length=100, blank=True)
    target_id = models.CharField(_("id dell'oggetto"), max_length=64, blank=True)
    target_repr = models.CharField(_("oggetto"), max_length=200, blank=True)
    ip = models.GenericIPAddressField(_("indirizzo IP"), null=True, blank=True)
    user_agent = models.CharField(_("browser"), max_length=300, blank=True)
    request_id = models.CharField(_("id della richiesta"), max_length=64, blank=True)
    details = models.JSONField(_("dettagli"), default=dict, blank=True)

    objects = ComuneScopedManager.from_queryset(AuditEventQuerySet)()
    # The retention purge, across comuni.
    all_comuni = AuditEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("evento del registro")
        verbose_name_plural = _("registro degli accessi")
        ordering = ["-at", "-pk"]
        indexes = [
            models.Index(fields=["target_type", "target_id"], name="audit_target_idx"),
            models.Index(fields=["action", "at"], name="audit_action_at_idx"),
        ]
        permissions = [
            ("view_processing_records", _("Può vedere il registro dei trattamenti (art. 30)")),
        ]

    def __str__(self) -> str:
        return f"{self.at:%d/%m/%Y %H:%M} {self.actor_label} {self.get_action_display()}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError("Audit events cannot be updated.")
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("Audit events cannot be deleted.")
