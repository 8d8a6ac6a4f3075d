"""Tickets' part in the hooks other apps declare."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save

from subscribers.signals import erase_personal_data
from urp_portal.municipality.scope import current_comune
from urp_portal.municipality.signals import comune_loaded

from .access import access_changed
from .live import console_stamp_bump
from .models import CannedAnswer, ElsewhereRule, Message, MunicipalService, Ticket, TicketEvent
from .services import tickets_erase_personal_data
from .services.catalogue import elsewhere_rules_copy_to, municipal_services_copy_to


def owned_by_the_scope(sender, instance, **kwargs) -> None:
    """A service, canned answer or rule for other channels made in a comune's console is that
    comune's (unscoped, on a deployment of one comune: empty, the active comune's, as before)."""
    if instance._state.adding and instance.comune_id is None:
        instance.comune = current_comune()


pre_save.connect(owned_by_the_scope, sender=MunicipalService, dispatch_uid="service_comune")
pre_save.connect(owned_by_the_scope, sender=CannedAnswer, dispatch_uid="canned_comune")
pre_save.connect(owned_by_the_scope, sender=ElsewhereRule, dispatch_uid="elsewhere_rule_comune")


def give_the_comune_its_services(sender, comune, **kwargs) -> None:
    municipal_services_copy_to(comune=comune)
    elsewhere_rules_copy_to(comune=comune)


def erase_ticket_texts(sender, subscriber, **kwargs) -> None:
    tickets_erase_personal_data(subscriber=subscriber)


def console_changed(sender, instance, **kwargs) -> None:
    # Every write the live console shows goes through one of these models' save().
    if isinstance(instance, Ticket):
        console_stamp_bump(ticket=instance)
        return
    # A message or an event: its ticket's row when at hand (no query to learn its comune).
    cached = type(instance).ticket.is_cached(instance)
    console_stamp_bump(ticket=instance.ticket if cached else instance.ticket_id)


def access_membership_changed(sender, action, **kwargs) -> None:
    # Both directions (user.groups.add, group.user_set.add) send this with the same `sender`.
    if action in ("post_add", "post_remove", "post_clear"):
        access_changed()


def access_account_saved(sender, update_fields=None, **kwargs) -> None:
    # A sign-in saves last_login alone: not a change of access (and it is frequent).
    if update_fields is not None and set(update_fields) <= {"last_login"}:
        return
    access_changed()


def access_object_changed(sender, **kwargs) -> None:
    access_changed()


def connect() -> None:
    # Who may see tickets, remembered across requests (access.py): any change to a role, a
    # group, an account's superuser flag or a service's staff makes every entry old.
    user_model = get_user_model()
    m2m_changed.connect(
        access_membership_changed,
        sender=user_model.groups.through,
        dispatch_uid="tickets.access.groups",
    )
    m2m_changed.connect(
        access_membership_changed,
        sender=MunicipalService.staff.through,
        dispatch_uid="tickets.access.staff",
    )
    # A permission given or taken (to a group or to one account): whether a user may change
    # tickets is remembered with the access (access.py).
    m2m_changed.connect(
        access_membership_changed,
        sender=Group.permissions.through,
        dispatch_uid="tickets.access.group_permissions",
    )
    m2m_changed.connect(
        access_membership_changed,
        sender=user_model.user_permissions.through,
        dispatch_uid="tickets.access.user_permissions",
    )
    post_save.connect(access_account_saved, sender=user_model, dispatch_uid="tickets.access.user")
    for deleted in (user_model, Group, MunicipalService):
        post_delete.connect(
            access_object_changed,
            sender=deleted,
            dispatch_uid=f"tickets.access.deleted.{deleted.__name__}",
        )
    post_save.connect(access_object_changed, sender=Group, dispatch_uid="tickets.access.group")
    for model in (Message, TicketEvent, Ticket):
        post_save.connect(
            console_changed, sender=model, dispatch_uid=f"tickets.live.{model.__name__}"
        )
    erase_personal_data.connect(erase_ticket_texts, dispatch_uid="tickets.erase_ticket_texts")
    comune_loaded.connect(give_the_comune_its_services, dispatch_uid="tickets.comune_services")
