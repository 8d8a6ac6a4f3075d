"""django-axes under an Italian name in the admin's menu (its own is "Axes"; its models and
fields are named in Italian by locale/it). A module of its own: beside AccountsConfig in apps.py
it would make Django's choice of the accounts app's config ambiguous."""

from axes.apps import AppConfig as AxesAppConfig
from django.utils.translation import gettext_lazy as _


class AxesConfig(AxesAppConfig):
    verbose_name = _("Tentativi di accesso")
