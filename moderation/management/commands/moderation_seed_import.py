"""Bring the seed files' insults, slurs and public domains into this database's screening lists,
on purpose: a running comune screens with the database (moderation/screening/config.py)."""

from contextlib import nullcontext

from django.core.management.base import BaseCommand, CommandError

from urp_portal.municipality.models import Municipality
from urp_portal.municipality.scope import comune_scope

from ...services import screening_seed_import


class Command(BaseCommand):
    help = (
        "Aggiunge alle liste di moderazione del database le parole e i domini dei file seed che "
        "mancano (moderation/screening/data/seed/); non modifica né toglie nulla."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="Mostra cosa aggiungerebbe, senza scrivere."
        )
        # Each comune has its own lists: on a deployment of several, say whose.
        parser.add_argument(
            "--comune", default="", help="Codice (slug) del comune; vuoto: il comune attivo."
        )

    def handle(self, *args, dry_run: bool = False, comune: str = "", **options):
        target = Municipality.objects.filter(slug=comune).first() if comune else None
        if comune and target is None:
            raise CommandError(f"Nessun comune con il codice «{comune}».")
        with comune_scope(target) if target is not None else nullcontext():
            result = screening_seed_import(dry_run=dry_run)
        verb = "Da aggiungere" if dry_run else "Aggiunte"
        self.stdout.write(f"{verb}: {len(result.words)} parole, {len(result.domains)} domini.")
        for word in result.words:
            self.stdout.write(f"  parola: {word}")
        for domain in result.domains:
            self.stdout.write(f"  dominio: {domain}")
