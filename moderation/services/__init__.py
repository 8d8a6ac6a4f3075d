"""Every write of the moderation app (STYLE.md), by topic; import from here."""

from .actions import (
    DEFAULT_WARNING_TEXT,
    PURPOSE_WARNING,
    action_reverse,
    block_lapse_if_due,
    blocked_message_keep,
    blocks_lapse,
    flag_dismiss,
    message_remove,
    subscriber_block,
    subscriber_unblock,
    subscriber_warn,
    warning_text,
)
from .cases import case_close, case_open_for, categories_required, require_moderator
from .evidence import Verification, case_report, evidence_package_verify
from .policy import moderation_policy_give, policy_categories_delete, policy_category_save
from .screening import (
    allowed_domain_save,
    allowed_domains_delete,
    lexicon_entries_delete,
    lexicon_entry_save,
    message_screen,
    moderation_note_text,
    screening_lists_changed,
    screening_seed_import,
    ticket_message_note_flag,
)

__all__ = [
    "DEFAULT_WARNING_TEXT",
    "PURPOSE_WARNING",
    "Verification",
    "action_reverse",
    "allowed_domain_save",
    "allowed_domains_delete",
    "block_lapse_if_due",
    "blocked_message_keep",
    "blocks_lapse",
    "case_close",
    "case_open_for",
    "case_report",
    "categories_required",
    "evidence_package_verify",
    "flag_dismiss",
    "lexicon_entries_delete",
    "lexicon_entry_save",
    "message_remove",
    "message_screen",
    "moderation_note_text",
    "moderation_policy_give",
    "policy_categories_delete",
    "policy_category_save",
    "require_moderator",
    "screening_lists_changed",
    "screening_seed_import",
    "subscriber_block",
    "subscriber_unblock",
    "subscriber_warn",
    "ticket_message_note_flag",
    "warning_text",
]
