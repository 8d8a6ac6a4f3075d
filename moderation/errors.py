from django.utils.translation import gettext_lazy as _

from urp_portal.municipality.errors import UserError


class ModerationNotAllowed(UserError):
    default_message = _("Solo i moderatori e gli amministratori possono eseguire questa azione.")
    code = "forbidden"


class NoCategory(UserError):
    default_message = _("Indica almeno una regola della policy violata.")
    code = "no_category"


class ActionNotReversible(UserError):
    default_message = _("Questa azione non si può annullare.")
    code = "not_reversible"
