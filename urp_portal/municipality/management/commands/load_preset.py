from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from urp_portal.municipality.presets import PRESETS
from urp_portal.municipality.services import municipality_load_preset


class Command(BaseCommand):
    help = "Make one of the seed comuni's presets the active configuration (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("preset", choices=sorted(PRESETS))

    def handle(self, *args, preset: str, **options):
        try:
            municipality = municipality_load_preset(slug=preset)
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        self.stdout.write(self.style.SUCCESS(f"Configurazione attiva: {municipality.name}"))
