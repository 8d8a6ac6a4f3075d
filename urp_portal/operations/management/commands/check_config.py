import sys

from django.core.management.base import BaseCommand

from ...checks import BLOCKING, OK, WARNING, configuration_findings

_MARKS = {OK: "ok      ", WARNING: "AVVISO  ", BLOCKING: "MANCA   "}


class Command(BaseCommand):
    help = (
        "Controlla tutta la configurazione (variabili, database, broker, comune, modelli, "
        "email, chiavi) e dice in italiano cosa manca. Esce con 1 se manca qualcosa di "
        "bloccante."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--solo-problemi", action="store_true", help="Mostra solo avvisi e mancanze."
        )

    def handle(self, *args, **options):
        findings = configuration_findings()
        heading = None
        for finding in findings:
            if options["solo_problemi"] and finding.level == OK:
                continue
            # Several comuni: each comune's findings under its name (one comune: no name).
            area = f"{finding.comune} · {finding.area}" if finding.comune else finding.area
            if area != heading:
                heading = area
                self.stdout.write(f"\n{heading}")
            line = f"  {_MARKS[finding.level]}{finding.message}"
            style = {OK: self.style.SUCCESS, WARNING: self.style.WARNING}.get(
                finding.level, self.style.ERROR
            )
            self.stdout.write(style(line))
        blocking = sum(1 for f in findings if f.level == BLOCKING)
        warnings = sum(1 for f in findings if f.level == WARNING)
        self.stdout.write("")
        stopped = sorted({f.comune for f in findings if f.level == BLOCKING and f.comune})
        if stopped:
            names = ", ".join(stopped)
            self.stdout.write(self.style.ERROR(f"Comuni con problemi bloccanti: {names}."))
        if blocking:
            self.stdout.write(
                self.style.ERROR(
                    f"Configurazione incompleta: {blocking} problemi bloccanti, {warnings} avvisi."
                )
            )
            sys.exit(1)
        self.stdout.write(
            self.style.SUCCESS(f"Configurazione completa ({warnings} avvisi da valutare).")
        )
