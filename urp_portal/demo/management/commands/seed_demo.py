from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from urp_portal.demo.seed import DEMO_PASSWORD, seed_demo


class Command(BaseCommand):
    help = "Seed the demo data set (idempotent) and print the demo accounts."

    def handle(self, *args, **options):
        # The accounts it makes share a published password and second-factor key: never on a
        # server that serves citizens.
        if not settings.DEBUG:
            raise CommandError("Solo per la demo (DEBUG=true): crea account con password pubblica.")
        users = seed_demo()
        self.stdout.write(self.style.SUCCESS("Dati dimostrativi pronti. Account (solo demo):"))
        for user in users:
            self.stdout.write(f"  {user.username:<15} {DEMO_PASSWORD:<16} {user.role.label}")
        self.stdout.write(
            "admin e moderatore chiedono anche il codice di verifica: "
            "`DEBUG=true .venv/bin/python manage.py demo_totp` lo mostra."
        )
