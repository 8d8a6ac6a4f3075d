"""What the export and erase commands share: finding the citizen and who is acting."""

import getpass
from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError, CommandParser

from urp_portal.municipality.validators import to_e164

from ...errors import SubscriberNotFound
from ...models import Subscriber
from ...selectors import subscriber_get_by_number

if TYPE_CHECKING:
    from django.contrib.auth.models import User


def add_data_subject_arguments(parser: CommandParser) -> None:
    parser.add_argument("--number", required=True, help="Numero WhatsApp (E.164, es. +39333...)")
    parser.add_argument("--reason", required=True, help="Motivo (es. protocollo della richiesta)")
    parser.add_argument("--by", default="", help="Utente che esegue (username); default: utente OS")


def data_subject_from_options(options: dict) -> tuple[Subscriber, "User | None", str]:
    if not options["reason"].strip():
        raise CommandError("--reason non può essere vuoto.")
    number = options["number"].strip()
    try:
        subscriber = subscriber_get_by_number(number=number)
    except SubscriberNotFound:
        try:
            subscriber = subscriber_get_by_number(number=to_e164(number))
        except Exception as exc:
            raise CommandError(f"Nessun cittadino con il numero {number}.") from exc
    user = None
    if options["by"]:
        user = get_user_model().objects.filter(username=options["by"]).first()
        if user is None:
            raise CommandError(f"Utente {options['by']} inesistente.")
        actor = options["by"]
    else:
        actor = f"{getpass.getuser()} (riga di comando)"
    return subscriber, user, actor
