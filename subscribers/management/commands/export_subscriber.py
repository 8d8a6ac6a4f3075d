import json

from django.core.management.base import BaseCommand

from ...services import subscriber_export
from ...states import ConsentChannel
from ._data_subject import add_data_subject_arguments, data_subject_from_options


class Command(BaseCommand):
    help = (
        "Esporta in JSON tutti i dati di un cittadino (art. 15 GDPR); l'esportazione è registrata."
    )

    def add_arguments(self, parser):
        add_data_subject_arguments(parser)

    def handle(self, *args, **options):
        subscriber, user, actor = data_subject_from_options(options)
        data = subscriber_export(
            subscriber=subscriber,
            reason=options["reason"],
            channel=ConsentChannel.COMMAND,
            actor=actor,
            user=user,
        )
        self.stdout.write(json.dumps(data, ensure_ascii=False, indent=2))
