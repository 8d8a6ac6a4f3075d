from django.utils.translation import gettext_lazy as _

from urp_portal.core.errors import UserError as UserError  # moved to the ground: old name kept


class NoActiveMunicipality(UserError):
    default_message = _(
        "Nessun comune è configurato: esegui `python manage.py load_preset <comune>` o attivane "
        "uno dall'amministrazione."
    )
    code = "no_active_municipality"
