"""What this process keeps of the comuni's numbers is forgotten when they change."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from .models import Municipality, WhatsAppNumber
from .scope import forget_serves_other_comuni


@receiver(post_save, sender=WhatsAppNumber, dispatch_uid="scope_number_saved")
@receiver(post_delete, sender=WhatsAppNumber, dispatch_uid="scope_number_deleted")
@receiver(post_save, sender=Municipality, dispatch_uid="scope_comune_saved")
@receiver(post_delete, sender=Municipality, dispatch_uid="scope_comune_deleted")
def forget_whether_others_are_served(**kwargs) -> None:
    forget_serves_other_comuni()
