"""Tickets' part in the hooks other apps declare."""

from django.db.models.signals import post_save

from subscribers.signals import erase_personal_data

from .live import console_stamp_bump
from .models import Message, Ticket, TicketEvent
from .services import tickets_erase_personal_data


def erase_ticket_texts(sender, subscriber, **kwargs) -> None:
    tickets_erase_personal_data(subscriber=subscriber)


def console_changed(sender, **kwargs) -> None:
    # Every write the live console shows goes through one of these models' save().
    console_stamp_bump()


def connect() -> None:
    for model in (Message, TicketEvent, Ticket):
        post_save.connect(
            console_changed, sender=model, dispatch_uid=f"tickets.live.{model.__name__}"
        )
    erase_personal_data.connect(erase_ticket_texts, dispatch_uid="tickets.erase_ticket_texts")
