"""What the administrators manage: services, canned answers, routing rules."""

from django.contrib import admin

from ..forms import ServiceKeywordRuleForm
from ..models import CannedAnswer, MunicipalService, ServiceKeywordRule


class ServiceKeywordRuleInline(admin.TabularInline):
    model = ServiceKeywordRule
    form = ServiceKeywordRuleForm
    extra = 1


@admin.register(MunicipalService)
class MunicipalServiceAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "email", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["name", "slug", "email"]
    prepopulated_fields = {"slug": ["name"]}
    filter_horizontal = ["staff"]
    inlines = [ServiceKeywordRuleInline]


@admin.register(CannedAnswer)
class CannedAnswerAdmin(admin.ModelAdmin):
    list_display = ["title", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["title", "text"]


@admin.register(ServiceKeywordRule)
class ServiceKeywordRuleAdmin(admin.ModelAdmin):
    form = ServiceKeywordRuleForm
    list_display = ["keyword", "service", "weight"]
    list_filter = ["service"]
    search_fields = ["keyword"]
    list_select_related = ["service"]
