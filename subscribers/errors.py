from django.utils.translation import gettext_lazy as _

from urp_portal.municipality.errors import UserError


class AppendOnlyError(RuntimeError):
    """A write that would rewrite history: the consent ledger and the audit only grow."""


class SubscriberNotFound(UserError):
    default_message = _("Nessun cittadino con questo numero.")
    code = "subscriber_not_found"
