from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("verifica/", views.second_factor_verify, name="second_factor_verify"),
    path("attiva/", views.second_factor_enrol, name="second_factor_enrol"),
]
