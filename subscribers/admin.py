from django.contrib import admin

from .models import Subscriber


@admin.register(Subscriber)
class SubscriberAdmin(admin.ModelAdmin):
    list_display = ["__str__", "number", "status", "subscribed_at", "last_inbound_at"]
    list_filter = ["status"]
    search_fields = ["number", "first_name", "last_name", "profile_name"]
    readonly_fields = ["first_contact_at", "last_inbound_at", "subscribed_at", "unsubscribed_at"]
