import os

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from urp_portal.municipality.presets import PRESETS
from urp_portal.municipality.services import (
    municipality_load_preset,
    municipality_load_preset_for_number,
)


class Command(BaseCommand):
    help = (
        "Make one of the seed comuni's presets the active configuration (idempotent). With "
        "--comune and --phone-number-id, add or update that comune bound to that WhatsApp "
        "number instead, leaving the others (many comuni on one deployment)."
    )

    def add_arguments(self, parser):
        parser.add_argument("preset", choices=sorted(PRESETS))
        parser.add_argument("--comune", default="", help="Codice (slug) del comune da servire.")
        parser.add_argument("--phone-number-id", default="", help="Id del numero WhatsApp.")
        parser.add_argument(
            "--business-account-id", default="", help="Id dell'account WhatsApp Business."
        )
        parser.add_argument(
            "--business-portfolio-id",
            default="",
            help=(
                "Id del portafoglio aziendale di Meta (business portfolio): i comuni dello "
                "stesso portafoglio condividono il limite di messaggi."
            ),
        )
        # Secrets are named by an environment variable, never written on the command line
        # (which the shell's history and `ps` would keep).
        parser.add_argument(
            "--access-token-env",
            default="",
            help="Variabile d'ambiente con il token del numero (vuoto: WHATSAPP_ACCESS_TOKEN).",
        )
        parser.add_argument(
            "--app-secret-env",
            default="",
            help="Variabile d'ambiente con l'app secret, se l'app Meta è un'altra.",
        )

    def handle(self, *args, preset: str, comune: str, phone_number_id: str, **options):
        if bool(comune) != bool(phone_number_id):
            raise CommandError("--comune e --phone-number-id vanno indicati insieme.")
        if options["business_portfolio_id"] and not comune:
            raise CommandError("--business-portfolio-id vale solo con --comune.")
        try:
            if not comune:
                municipality = municipality_load_preset(slug=preset)
                self.stdout.write(self.style.SUCCESS(f"Configurazione attiva: {municipality.name}"))
                return
            municipality = municipality_load_preset_for_number(
                preset=preset,
                comune_slug=comune,
                phone_number_id=phone_number_id,
                business_account_id=options["business_account_id"],
                business_portfolio_id=options["business_portfolio_id"],
                access_token=self._secret(options["access_token_env"]),
                app_secret=self._secret(options["app_secret_env"]),
            )
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"Comune {municipality.name} ({municipality.slug}) sul numero {phone_number_id}"
            )
        )

    def _secret(self, variable: str) -> str:
        if not variable:
            return ""
        value = os.environ.get(variable, "")
        if not value:
            raise CommandError(f"La variabile d'ambiente {variable} è vuota o non esiste.")
        return value
