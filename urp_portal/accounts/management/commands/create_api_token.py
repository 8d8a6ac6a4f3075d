from django.core.management.base import BaseCommand, CommandError

from urp_portal.accounts.roles import Role
from urp_portal.accounts.services import api_token_create
from urp_portal.municipality.errors import UserError


class Command(BaseCommand):
    help = (
        "Crea un token API per un sistema del comune e ne stampa la chiave, da sola, sull'ultima "
        "riga (la chiave non è conservata: non potrà essere mostrata di nuovo)."
    )

    def add_arguments(self, parser):
        parser.add_argument("name", help="Il sistema che userà il token.")
        parser.add_argument("--role", required=True, choices=Role.values)
        parser.add_argument(
            "--service", default="", help="Slug del servizio comunale (solo ruolo service)."
        )
        parser.add_argument(
            "--comune",
            default="",
            help="Codice del comune per cui agisce (più comuni sullo stesso servizio).",
        )

    def handle(self, *args, name: str, role: str, service: str, comune: str, **options):
        try:
            token, key = api_token_create(
                name=name, role=role, service_slug=service, comune_slug=comune
            )
        except UserError as error:
            raise CommandError(str(error.message)) from error
        scope = f", servizio {token.service_slug}" if token.service_slug else ""
        if token.comune_id:
            scope += f", comune {comune}"
        self.stderr.write(f"Token «{token.name}» creato (ruolo {token.get_role_display()}{scope}).")
        # The key alone on the last line of standard output: scripts read it with `tail -n 1`.
        self.stdout.write(key)
