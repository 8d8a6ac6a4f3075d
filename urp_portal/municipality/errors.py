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


class NoActiveMunicipality(UserError):
    default_message = _(
        "Nessun comune è configurato: esegui `python manage.py load_preset <comune>` o attivane "
        "uno dall'amministrazione."
    )
    code = "no_active_municipality"
