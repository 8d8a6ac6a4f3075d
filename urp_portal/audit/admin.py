"""The audit trail in the admin: read-only for administrators, searchable, filterable, exported as
CSV exactly as filtered; and the records of processing (art. 30), printable."""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from urp_portal.municipality.admin_scope import OtherComunesRowsNotFound

from .models import AuditEvent
from .records import processing_records_for_active
from .selectors import audit_events_csv
from .services import audit_record
from .states import AuditAction


class TargetTypeFilter(admin.SimpleListFilter):
    title = _("tipo di oggetto")
    parameter_name = "target_type"

    def lookups(self, request, model_admin):
        types = (
            AuditEvent.objects.exclude(target_type="")
            .order_by("target_type")
            .values_list("target_type", flat=True)
            .distinct()
        )
        return [(value, value) for value in types]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(target_type=self.value())
        return queryset


class ActorFilter(admin.SimpleListFilter):
    title = _("chi")
    parameter_name = "actor"

    def lookups(self, request, model_admin):
        labels = AuditEvent.objects.order_by("actor_label").values_list("actor_label", flat=True)
        return [(value, value) for value in labels.distinct()]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(actor_label=self.value())
        return queryset


@admin.register(AuditEvent)
class AuditEventAdmin(OtherComunesRowsNotFound, admin.ModelAdmin):
    list_display = ["at", "actor_label", "action", "target_type", "target_repr", "channel", "ip"]
    list_filter = ["action", ActorFilter, TargetTypeFilter, "channel", "at"]
    search_fields = ["actor_label", "target_repr", "target_id", "ip", "request_id"]
    date_hierarchy = "at"
    list_per_page = 100
    show_full_result_count = False
    readonly_fields = [field.name for field in AuditEvent._meta.fields]
    change_list_template = "admin/audit/auditevent/change_list.html"

    # Append-only, in the admin too: nobody adds, changes or deletes an event here.
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def get_actions(self, request):
        return {}

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("esporta/", view(self.export_view), name="audit_auditevent_export"),
            path(
                "registro-dei-trattamenti/",
                view(self.processing_records_view),
                name="audit_processing_records",
            ),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "may_see_records": request.user.has_perm("audit.view_processing_records"),
        }
        return super().changelist_view(request, extra_context)

    def export_view(self, request: HttpRequest) -> StreamingHttpResponse:
        """The changelist's own filters and search, as CSV: what the administrator sees is what
        they get."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        changelist = self.get_changelist_instance(request)
        events = changelist.get_queryset(request).order_by("at", "pk")
        filters = {k: v for k, v in request.GET.items() if k not in ("o", "p")}
        audit_record(
            actor=request.user,
            action=AuditAction.AUDIT_EXPORTED,
            request=request,
            details={"filters": filters},
        )
        response = StreamingHttpResponse(
            audit_events_csv(events.iterator(chunk_size=2000)), content_type="text/csv"
        )
        stamp = timezone.now().strftime("%Y%m%d-%H%M")
        response["Content-Disposition"] = f'attachment; filename="registro-accessi-{stamp}.csv"'
        return response

    def processing_records_view(self, request: HttpRequest) -> HttpResponse:
        if not request.user.has_perm("audit.view_processing_records"):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "title": _("Registro delle attività di trattamento"),
            "records": processing_records_for_active(),
            "opts": self.opts,
        }
        return TemplateResponse(request, "audit/processing_records.html", context)
