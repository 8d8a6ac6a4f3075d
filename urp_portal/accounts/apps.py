from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "urp_portal.accounts"
    label = "accounts"
    verbose_name = _("Personale e ruoli")

    def ready(self) -> None:
        from . import receivers  # noqa: F401  (connects the security log)
        from .roles import sync_role_permissions

        # Permissions exist only after every app migrated, so the groups' permissions are synced
        # then, from the declaration in roles.py, on every migrate.
        post_migrate.connect(sync_role_permissions, dispatch_uid="accounts.sync_role_permissions")
