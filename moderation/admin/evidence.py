"""The sealed evidence packages: download and verification."""

from __future__ import annotations

from django.contrib import admin
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _

from urp_portal.audit.services import audit_record
from urp_portal.audit.states import AuditAction
from urp_portal.municipality.admin_scope import OtherComunesRowsNotFound

from .. import services
from ..models import EvidencePackage
from .base import ModeratorOnly, _buttons
from .confirm import require_moderator


@admin.register(EvidencePackage)
class EvidencePackageAdmin(OtherComunesRowsNotFound, ModeratorOnly, admin.ModelAdmin):
    list_display = ["created_at", "case", "created_by", "sha256", "size", "links"]
    list_select_related = ["case", "created_by"]
    list_display_links = None

    @admin.display(description="")
    def links(self, package: EvidencePackage) -> str:
        return _buttons(
            [
                (reverse("admin:moderation_evidence_download", args=[package.pk]), _("Scarica")),
                (reverse("admin:moderation_evidence_verify", args=[package.pk]), _("Verifica")),
            ]
        )

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path(
                "<int:package_id>/scarica/",
                view(self.download_view),
                name="moderation_evidence_download",
            ),
            path(
                "<int:package_id>/verifica/",
                view(self.verify_view),
                name="moderation_evidence_verify",
            ),
            *super().get_urls(),
        ]

    def download_view(self, request, package_id: int) -> FileResponse:
        require_moderator(request)
        package = get_object_or_404(EvidencePackage, pk=package_id)
        try:
            handle = package.file.open("rb")
        except FileNotFoundError as exc:
            raise Http404() from exc
        audit_record(
            actor=request.user,
            action=AuditAction.EVIDENCE_DOWNLOADED,
            target=package,
            request=request,
            details={"case_id": package.case_id, "sha256": package.sha256},
        )
        return FileResponse(
            handle,
            as_attachment=True,
            filename=package.file.name.rsplit("/", 1)[-1],
            content_type="application/zip",
        )

    def verify_view(self, request, package_id: int) -> HttpResponse:
        require_moderator(request)
        package = get_object_or_404(EvidencePackage.objects.select_related("case"), pk=package_id)
        result = services.evidence_package_verify(package=package)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Verifica del pacchetto di prove"),
            "package": package,
            "result": result,
        }
        return TemplateResponse(request, "admin/moderation/verify.html", context)
