"""What the administrators manage: services, canned answers, routing rules, the rules for
requests that belong elsewhere; and the satisfaction answers, read only."""

from django.contrib import admin

from urp_portal.municipality.admin_scope import OtherComunesRowsNotFound

from ..forms import ServiceKeywordRuleForm
from ..models import (
    CannedAnswer,
    ElsewhereRule,
    MunicipalService,
    SatisfactionSurvey,
    ServiceKeywordRule,
)


class ServiceKeywordRuleInline(admin.TabularInline):
    model = ServiceKeywordRule
    form = ServiceKeywordRuleForm
    extra = 1


@admin.register(MunicipalService)
class MunicipalServiceAdmin(OtherComunesRowsNotFound, admin.ModelAdmin):
    list_display = ["name", "slug", "email", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["name", "slug", "email"]
    prepopulated_fields = {"slug": ["name"]}
    filter_horizontal = ["staff"]
    inlines = [ServiceKeywordRuleInline]


@admin.register(CannedAnswer)
class CannedAnswerAdmin(OtherComunesRowsNotFound, admin.ModelAdmin):
    list_display = ["title", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["title", "text"]


@admin.register(ServiceKeywordRule)
class ServiceKeywordRuleAdmin(OtherComunesRowsNotFound, admin.ModelAdmin):
    form = ServiceKeywordRuleForm
    list_display = ["keyword", "service", "weight"]
    list_filter = ["service"]
    search_fields = ["keyword"]
    list_select_related = ["service"]


@admin.register(ElsewhereRule)
class ElsewhereRuleAdmin(OtherComunesRowsNotFound, admin.ModelAdmin):
    list_display = ["phrase", "kind", "is_exception", "is_active"]
    list_filter = ["kind", "is_exception", "is_active"]
    list_editable = ["is_active"]
    search_fields = ["phrase"]


@admin.register(SatisfactionSurvey)
class SatisfactionSurveyAdmin(OtherComunesRowsNotFound, admin.ModelAdmin):
    """The answers as they came; the figures are on the dashboard and in the report."""

    list_display = ["ticket", "state", "score", "sent_at", "answered_at"]
    list_filter = ["state", "score"]
    list_select_related = ["ticket"]
    date_hierarchy = "sent_at"
    fields = ("ticket", "state", "score", "sent_at", "answered_at", "comment", "commented_at")
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
