"""Every add, change and delete made in the admin, mirrored from Django's own LogEntry: one place
covers every model of every app, with the request's address from the request in progress. The
same two hooks record the comune each entry was written in (LogEntry has none), so that an
object's history page shows a comune's staff their comune's changes only
(municipality/admin_scope.py, ComuneHistoryOnly)."""

from typing import Any

from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry, LogEntryManager
from django.contrib.contenttypes.models import ContentType
from django.db.models.signals import post_save
from django.dispatch import receiver

from urp_portal.municipality.services import log_entries_comune_record

from .services import audit_record
from .states import AuditAction

_ACTIONS = {
    ADDITION: AuditAction.ADMIN_ADDED,
    CHANGE: AuditAction.ADMIN_CHANGED,
    DELETION: AuditAction.ADMIN_DELETED,
}


def audit_from_log_entry(entry: LogEntry) -> None:
    if entry.action_flag not in _ACTIONS:
        return
    content_type = (
        ContentType.objects.get_for_id(entry.content_type_id) if entry.content_type_id else None
    )
    model = content_type.model_class() if content_type else None
    audit_record(
        actor=entry.user,
        action=_ACTIONS[entry.action_flag],
        target_type=f"{content_type.app_label}.{content_type.model}" if content_type else "",
        target_id=str(entry.object_id or ""),
        # By type and id like every other event, not the admin's object_repr: a citizen's name
        # there would outlive the citizen's erasure in a table that refuses updates.
        target_repr=f"{model._meta.verbose_name} #{entry.object_id}" if model else "",
        details={"change": entry.get_change_message()} if entry.change_message else None,
    )


@receiver(post_save, sender=LogEntry, dispatch_uid="audit_admin_log_entry")
def audit_admin_log_entry(sender: Any, instance: LogEntry, created: bool, **kwargs: Any) -> None:
    if created:
        log_entries_comune_record(log_entry_ids=[instance.pk])
        audit_from_log_entry(instance)


# The admin logs several objects at once ("delete selected") with bulk_create, which sends no
# post_save: those entries are mirrored here, after Django wrote them.
_log_actions = LogEntryManager.log_actions


def _log_actions_audited(self, user_id, queryset, action_flag, change_message="", **kwargs):
    result = _log_actions(self, user_id, queryset, action_flag, change_message, **kwargs)
    if isinstance(result, list) and len(result) > 1:
        log_entries_comune_record(log_entry_ids=[entry.pk for entry in result])
        for entry in result:
            audit_from_log_entry(entry)
    return result


if not getattr(LogEntryManager.log_actions, "_urp_audited", False):
    _log_actions_audited._urp_audited = True  # type: ignore[attr-defined]
    LogEntryManager.log_actions = _log_actions_audited  # type: ignore[method-assign]
