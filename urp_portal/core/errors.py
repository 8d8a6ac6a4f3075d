"""The errors every app shares."""

from django.utils.translation import gettext_lazy as _


class UserError(Exception):
    """An error a user can cause and fix; its message is shown as it is (admin, API, commands)."""

    default_message = _("Operazione non valida.")
    code = "invalid"

    def __init__(self, message=None, *, code: str | None = None, details: dict | None = None):
        self.message = message or self.default_message
        if code:
            self.code = code
        self.details = details or {}
        super().__init__(str(self.message))


class AppendOnlyError(RuntimeError):
    """A write that would rewrite history (the consent ledger, moderation's actions, the audit
    trail only grow): a programming error, never a user's."""
