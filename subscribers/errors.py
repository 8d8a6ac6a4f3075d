from django.utils.translation import gettext_lazy as _

from urp_portal.core.errors import AppendOnlyError as AppendOnlyError  # one class for all
from urp_portal.core.errors import UserError


class SubscriberNotFound(UserError):
    default_message = _("Nessun cittadino con questo numero.")
    code = "subscriber_not_found"
