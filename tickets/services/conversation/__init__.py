"""The chat: a citizen's message into a ticket, the URP's replies, notes and automatic answers,
and the ticket's end. One module per concern; every name keeps its import path
`tickets.services.conversation`."""

# Assigning and categorising lived here before they had a module of their own.
from ..assignment import ticket_assign as ticket_assign
from ..assignment import ticket_set_category as ticket_set_category
from .automatic import (
    ticket_inform_with_first_reply,
    ticket_send_automatic,
    ticket_send_first_contact_reply,
    ticket_send_out_of_hours_reply,
)
from .chat import (
    canned_answer_render,
    ticket_add_note,
    ticket_receive,
    ticket_reply,
    ticket_reply_canned,
)
from .closing import ticket_close, ticket_close_official_channel, ticket_resolve

__all__ = [
    "canned_answer_render",
    "ticket_add_note",
    "ticket_assign",
    "ticket_close",
    "ticket_close_official_channel",
    "ticket_inform_with_first_reply",
    "ticket_receive",
    "ticket_reply",
    "ticket_reply_canned",
    "ticket_resolve",
    "ticket_send_automatic",
    "ticket_send_first_contact_reply",
    "ticket_send_out_of_hours_reply",
    "ticket_set_category",
]
