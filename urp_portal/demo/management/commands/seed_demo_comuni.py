from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from urp_portal.demo.comuni import seed_demo_comuni
from urp_portal.demo.seed import DEMO_PASSWORD


class Command(BaseCommand):
    help = (
        "Add Assemini, Ancona and San Giuliano Milanese beside the active comune, each on its "
        "own simulated number with its own demo accounts, and the provider's administrator."
    )

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("Solo per la demo (DEBUG=true): crea account con password pubblica.")
        accounts = seed_demo_comuni()
        self.stdout.write(self.style.SUCCESS("Altri comuni della demo (stessa password):"))
        for account in accounts:
            where = account.comune or "tutti i comuni (solo conteggi)"
            self.stdout.write(
                f"  {account.username:<24} {DEMO_PASSWORD:<16} {account.label}, {where}"
            )
        self.stdout.write(
            "admin.<comune> e fornitore chiedono anche il codice di verifica, come admin. "
            "Il telefono del cittadino (/simulator/) sceglie a quale comune scrivere; "
            "«fornitore» apre la salute dei comuni (/admin/fornitore/)."
        )
