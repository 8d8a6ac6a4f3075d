"""`make demo`: prepare the embedded database and run web, worker and scheduler together."""

import os
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from urp_portal.municipality.models import Municipality


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


class Command(BaseCommand):
    help = (
        "Migrate, load the Cagliari preset, seed demo data and the three other seed comuni on "
        "their own simulated numbers, then run web + worker + beat."
    )

    def add_arguments(self, parser):
        # DEMO_PORT, not --port: the settings of the web server, the worker and this command
        # build every simulator URL from it (urp_portal/settings/base.py).
        parser.add_argument("--port", default=str(settings.DEMO_PORT))
        parser.add_argument("--preset", default="cagliari")
        parser.add_argument(
            "--prepare-only", action="store_true", help="Prepare the data and exit."
        )
        parser.add_argument(
            "--one-comune",
            action="store_true",
            help="Only the active comune, as before the four comuni side by side.",
        )

    def handle(
        self, *args, port: str, preset: str, prepare_only: bool, one_comune: bool, **options
    ):
        if not settings.DEBUG:
            raise CommandError("La demo gira solo con DEBUG=true (`make demo` lo imposta).")
        if port != str(settings.DEMO_PORT):
            raise CommandError(
                f"Per cambiare porta usa DEMO_PORT={port} (sposta anche gli URL del simulatore)."
            )
        (settings.BASE_DIR / "var").mkdir(exist_ok=True)
        call_command("migrate", interactive=False, verbosity=0)
        if not Municipality.objects.filter(is_active=True).exists():
            call_command("load_preset", preset)
        call_command("seed_demo")
        if not one_comune:
            call_command("seed_demo_comuni")
        if prepare_only:
            return
        self.stdout.write(
            self.style.SUCCESS(
                f"\nConsole: http://127.0.0.1:{port}/admin/   (Ctrl-C per fermare)\n"
            )
        )
        self._run_all(port)

    def _run_all(self, port: str) -> None:
        python = sys.executable
        commands = {
            "web": [python, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
            "worker": [
                python,
                "-m",
                "celery",
                "-A",
                "urp_portal",
                "worker",
                "-l",
                "info",
                "--concurrency",
                "2",
                "-n",
                "demo@%h",
            ],
            "beat": [python, "-m", "celery", "-A", "urp_portal", "beat", "-l", "info"],
        }
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        # `kill`, `docker stop` and supervisors send SIGTERM: stop the worker and the scheduler
        # as Ctrl-C does, instead of leaving them running without their parent.
        signal.signal(signal.SIGTERM, _interrupt)
        processes = {
            name: subprocess.Popen(command, cwd=settings.BASE_DIR, env=env)  # noqa: S603
            for name, command in commands.items()
        }
        try:
            while all(p.poll() is None for p in processes.values()):
                time.sleep(0.5)
            stopped = [name for name, p in processes.items() if p.poll() is not None]
            self.stderr.write(f"Processo terminato: {', '.join(stopped)}; fermo gli altri.")
        except KeyboardInterrupt:
            self.stdout.write("\nArresto in corso…")
        finally:
            for process in processes.values():
                if process.poll() is None:
                    process.send_signal(signal.SIGTERM)
            deadline = time.monotonic() + 10
            for process in processes.values():
                try:
                    process.wait(timeout=max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    process.kill()
