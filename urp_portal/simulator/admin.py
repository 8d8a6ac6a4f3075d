from django.contrib import admin

from urp_portal.municipality.admin_scope import ComuneHistoryOnly

from .models import SimulatedMedia, SimulatedMessage


@admin.register(SimulatedMessage)
class SimulatedMessageAdmin(ComuneHistoryOnly, admin.ModelAdmin):
    list_display = ["created_at", "direction", "number", "kind", "body", "status"]
    list_filter = ["direction", "status", "kind"]
    search_fields = ["number", "wamid", "body"]
    list_select_related = ["media"]
    readonly_fields = [f.name for f in SimulatedMessage._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(SimulatedMedia)
class SimulatedMediaAdmin(ComuneHistoryOnly, admin.ModelAdmin):
    list_display = ["created_at", "media_id", "mime_type", "file_size", "origin"]
    list_filter = ["origin"]
    readonly_fields = [f.name for f in SimulatedMedia._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False
