from django.contrib import admin
from django.urls import path

from . import views

app_name = "provider"

urlpatterns = [
    path("", admin.site.admin_view(views.health_page), name="health"),
    path("comuni/nuovo/", admin.site.admin_view(views.comune_create), name="comune_create"),
    path(
        "comuni/<int:comune_id>/numero/",
        admin.site.admin_view(views.number_bind),
        name="number_bind",
    ),
    path(
        "comuni/<int:comune_id>/amministratore/",
        admin.site.admin_view(views.administrator_create),
        name="administrator_create",
    ),
    path(
        "comuni/<int:comune_id>/personale/",
        admin.site.admin_view(views.staff_list),
        name="staff_list",
    ),
    path(
        "comuni/<int:comune_id>/personale/<int:user_id>/",
        admin.site.admin_view(views.staff_member),
        name="staff_member",
    ),
    # Opened before signing in, by the person invited: not behind the admin's login.
    path(
        "invito/<uidb64>/<token>/",
        views.InvitationView.as_view(),
        name="invitation",
    ),
]
