from django.urls import path

from . import views

app_name = "tickets"

urlpatterns = [
    path("media/<int:message_id>/", views.message_media, name="media"),
    path("inoltri/<str:token>/", views.forward_link, name="forward_link"),
]
