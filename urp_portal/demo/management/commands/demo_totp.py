"""The demo's second-factor codes: what the authenticator app of `admin` and `moderatore` shows."""

import base64

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from urp_portal.demo.seed import DEMO_TOTP_KEY


class Command(BaseCommand):
    help = "Print the current TOTP code of the demo accounts that need one (DEBUG only)."

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("Solo per la demo (DEBUG=true).")
        devices = TOTPDevice.objects.filter(key=DEMO_TOTP_KEY, confirmed=True).select_related(
            "user"
        )
        if not devices:
            raise CommandError("Nessun account demo con la verifica in due passaggi: `make demo`.")
        for device in devices:
            code = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
            self.stdout.write(f"  {device.user.get_username():<15} {code:06d}")
        secret = base64.b32encode(bytes.fromhex(DEMO_TOTP_KEY)).decode()
        self.stdout.write(f"Il codice cambia ogni 30 secondi. Chiave per un'app: {secret}")
