"""Opening an evidence package is in the audit trail."""

from django.urls import reverse

from moderation.models import EvidencePackage
from urp_portal.audit.models import AuditEvent
from urp_portal.audit.states import AuditAction


def test_downloading_an_evidence_package_is_audited(client, insult, moderator):
    from moderation.models import PolicyCategory

    client.force_login(moderator)
    offensive = str(PolicyCategory.objects.get(code="offensive").pk)
    client.post(
        reverse("admin:moderation_flag_act", args=[insult.moderation_flag.pk, "report"]),
        {"categories": [offensive]},
    )
    package = EvidencePackage.objects.get()

    response = client.get(
        reverse("admin:moderation_evidence_download", args=[package.pk]), REMOTE_ADDR="10.2.2.2"
    )

    assert response.status_code == 200
    event = AuditEvent.objects.get(action=AuditAction.EVIDENCE_DOWNLOADED)
    assert (event.actor_label, event.target_type, event.target_id, event.ip) == (
        moderator.username,
        "moderation.evidencepackage",
        str(package.pk),
        "10.2.2.2",
    )
    assert event.details["sha256"] == package.sha256
