"""Tickets' part in the hooks other apps declare."""

from subscribers.signals import erase_personal_data

from .services import tickets_erase_personal_data


def erase_ticket_texts(sender, subscriber, **kwargs) -> None:
    tickets_erase_personal_data(subscriber=subscriber)


def connect() -> None:
    erase_personal_data.connect(erase_ticket_texts, dispatch_uid="tickets.erase_ticket_texts")
