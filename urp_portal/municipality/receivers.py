"""What this process keeps of the comuni and their numbers is forgotten when they change."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from .models import BroadcastSlot, Closure, Keyword, Municipality, OfficeHoursSlot, WhatsAppNumber
from .scope import forget_serves_other_comuni


@receiver(post_save, sender=WhatsAppNumber, dispatch_uid="scope_number_saved")
@receiver(post_delete, sender=WhatsAppNumber, dispatch_uid="scope_number_deleted")
@receiver(post_save, sender=Municipality, dispatch_uid="scope_comune_saved")
@receiver(post_delete, sender=Municipality, dispatch_uid="scope_comune_deleted")
def forget_whether_others_are_served(**kwargs) -> None:
    forget_serves_other_comuni()


# A comune's configuration rides with it in the requests' scope (scope_cache.py).
@receiver(post_save, sender=OfficeHoursSlot, dispatch_uid="scope_slot_saved")
@receiver(post_delete, sender=OfficeHoursSlot, dispatch_uid="scope_slot_deleted")
@receiver(post_save, sender=Closure, dispatch_uid="scope_closure_saved")
@receiver(post_delete, sender=Closure, dispatch_uid="scope_closure_deleted")
@receiver(post_save, sender=Keyword, dispatch_uid="scope_keyword_saved")
@receiver(post_delete, sender=Keyword, dispatch_uid="scope_keyword_deleted")
@receiver(post_save, sender=BroadcastSlot, dispatch_uid="scope_broadcast_slot_saved")
@receiver(post_delete, sender=BroadcastSlot, dispatch_uid="scope_broadcast_slot_deleted")
def forget_comuni_configuration(**kwargs) -> None:
    forget_serves_other_comuni()
