from django.apps import AppConfig
from django.db.models.signals import post_save
from django.utils.translation import gettext_lazy as _


class SubscribersConfig(AppConfig):
    name = "subscribers"
    verbose_name = _("Iscritti e consensi")

    def ready(self) -> None:
        from urp_portal.municipality.models import Municipality

        from .receivers import privacy_notice_snapshot_on_change

        post_save.connect(
            privacy_notice_snapshot_on_change,
            sender=Municipality,
            dispatch_uid="subscribers.privacy_notice_snapshot_on_change",
        )
