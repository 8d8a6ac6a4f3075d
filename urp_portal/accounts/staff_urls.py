"""The comune's staff pages for its administrators (staff_views.py), under /admin/personale/."""

from django.contrib import admin
from django.urls import path

from . import staff_views

app_name = "staff"

urlpatterns = [
    path("", admin.site.admin_view(staff_views.staff_list_view), name="list"),
    path("<int:user_id>/", admin.site.admin_view(staff_views.staff_member_view), name="member"),
]
