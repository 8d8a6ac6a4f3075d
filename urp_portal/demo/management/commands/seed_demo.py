from django.core.management.base import BaseCommand

from urp_portal.demo.seed import DEMO_PASSWORD, seed_demo


class Command(BaseCommand):
    help = "Seed the demo data set (idempotent) and print the demo accounts."

    def handle(self, *args, **options):
        users = seed_demo()
        self.stdout.write(self.style.SUCCESS("Dati dimostrativi pronti. Account (solo demo):"))
        for user in users:
            self.stdout.write(f"  {user.username:<15} {DEMO_PASSWORD:<16} {user.role.label}")
        self.stdout.write(
            "admin e moderatore chiedono anche il codice di verifica: "
            "`DEBUG=true .venv/bin/python manage.py demo_totp` lo mostra."
        )
