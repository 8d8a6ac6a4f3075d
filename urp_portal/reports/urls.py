from django.contrib import admin
from django.urls import path

from . import views

app_name = "reports"

urlpatterns = [
    path("", admin.site.admin_view(views.report_page), name="report"),
    path("relazione.csv", admin.site.admin_view(views.report_csv), name="report_csv"),
    path("relazione.xlsx", admin.site.admin_view(views.report_xlsx), name="report_xlsx"),
]
