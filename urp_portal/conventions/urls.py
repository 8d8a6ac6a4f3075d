from django.contrib import admin
from django.urls import path

from . import views

app_name = "conventions"

urlpatterns = [
    path("accessibilita/", views.accessibility_statement, name="accessibility"),
    path("guida/", admin.site.admin_view(views.operator_guide), name="operator_guide"),
]
