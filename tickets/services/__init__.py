"""Every write on tickets. Split by subject; import from here."""

from .assignment import ticket_assign, ticket_set_category
from .conversation import (
    canned_answer_render,
    ticket_add_note,
    ticket_close,
    ticket_close_official_channel,
    ticket_receive,
    ticket_reply,
    ticket_reply_canned,
    ticket_resolve,
    ticket_send_first_contact_reply,
    ticket_send_out_of_hours_reply,
)
from .core import TicketNotAllowed, ticket_lock, ticket_move
from .deadlines import tickets_warn_deadlines
from .erasure import tickets_erase_personal_data
from .forwarding import (
    forward_answer,
    forward_email_send_now,
    forward_link,
    ticket_forward,
    ticket_respond,
)
from .presence import (
    ReplyCollision,
    conversation_presence_due,
    conversation_presence_leave,
    conversation_presence_touch,
    presences_purge,
    ticket_mark_seen,
)
from .suggestions import Suggestion, service_suggestion_learn, service_suggestions

__all__ = [
    "ReplyCollision",
    "Suggestion",
    "TicketNotAllowed",
    "canned_answer_render",
    "conversation_presence_due",
    "conversation_presence_leave",
    "conversation_presence_touch",
    "forward_answer",
    "forward_email_send_now",
    "forward_link",
    "presences_purge",
    "service_suggestion_learn",
    "service_suggestions",
    "ticket_add_note",
    "ticket_assign",
    "ticket_close",
    "ticket_close_official_channel",
    "ticket_forward",
    "ticket_lock",
    "ticket_mark_seen",
    "ticket_move",
    "ticket_receive",
    "ticket_reply",
    "ticket_reply_canned",
    "ticket_resolve",
    "ticket_respond",
    "ticket_send_first_contact_reply",
    "ticket_send_out_of_hours_reply",
    "ticket_set_category",
    "tickets_erase_personal_data",
    "tickets_warn_deadlines",
]
