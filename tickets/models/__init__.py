"""The tickets app's models, split by concern; import them from here."""

from .conversation import Message, MunicipalService, Ticket, TicketEvent, TicketSearch
from .desk import (
    CannedAnswer,
    ConversationPresence,
    ElsewhereRule,
    Forward,
    SatisfactionSurvey,
    ServiceKeywordRule,
    ServiceWordCount,
)

__all__ = [
    "CannedAnswer",
    "ConversationPresence",
    "ElsewhereRule",
    "Forward",
    "Message",
    "MunicipalService",
    "SatisfactionSurvey",
    "ServiceKeywordRule",
    "ServiceWordCount",
    "Ticket",
    "TicketEvent",
    "TicketSearch",
]
