"""Write to the comune as a citizen from the shell: the signed webhook the phone page posts."""

import requests
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from ...forms import CitizenMessageForm
from ...services import citizen_message_create, citizen_message_post_webhook
from ...states import SimulatedStatus
from ...webhooks import WebhookUnavailable


class Command(BaseCommand):
    help = (
        "Invia al webhook del prodotto un messaggio come se lo scrivesse un cittadino "
        "(testo, una foto o un vocale di esempio)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--number", required=True, help="Numero del cittadino, es. +39...")
        parser.add_argument("--name", default="", help="Nome del profilo WhatsApp")
        parser.add_argument("--text", default="", help="Testo del messaggio")
        parser.add_argument(
            "--to",
            default="",
            help="Id del numero del comune a cui scrivere (vuoto: quello del servizio).",
        )
        media = parser.add_mutually_exclusive_group()
        media.add_argument("--image", action="store_true", help="Allega la foto di esempio")
        media.add_argument("--voice", action="store_true", help="Allega il vocale di esempio")

    def handle(self, *args, **options) -> None:
        # Demo and training only, like the simulator itself: in production a signed webhook
        # posted from a shell would be a message no citizen wrote.
        if not settings.DEBUG:
            raise CommandError("Solo per la demo (DEBUG=true).")
        sample = "photo" if options["image"] else "voice" if options["voice"] else ""
        form = CitizenMessageForm(
            data={
                "number": options["number"],
                "profile_name": options["name"],
                "text": options["text"],
                "sample": sample,
                "business_number": options["to"],
            }
        )
        if not form.is_valid():
            raise CommandError("; ".join(str(e) for errors in form.errors.values() for e in errors))
        data = form.cleaned_data
        messages = citizen_message_create(
            number=data["number"],
            profile_name=data["profile_name"],
            text=data["text"],
            sample_key=data["sample"],
            business_number=data["business_number"],
        )
        url = settings.SIMULATOR_WEBHOOK_URL
        for message in messages:
            try:
                posted = citizen_message_post_webhook(message_id=message.pk)
            except (requests.RequestException, WebhookUnavailable) as exc:
                raise CommandError(f"Il webhook {url} non risponde: {exc}") from exc
            if posted.status != SimulatedStatus.DELIVERED:
                raise CommandError(posted.error)
            self.stdout.write(f"{posted.kind} {posted.wamid} → {url}: accettato")
