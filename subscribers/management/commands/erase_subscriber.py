from django.core.management.base import BaseCommand, CommandError

from ...services import subscriber_erase
from ...states import ConsentChannel
from ._data_subject import add_data_subject_arguments, data_subject_from_options


class Command(BaseCommand):
    help = (
        "Cancella i dati personali di un cittadino (art. 17 GDPR) in tutte le sezioni; "
        "l'operazione è registrata."
    )

    def add_arguments(self, parser):
        add_data_subject_arguments(parser)

    def handle(self, *args, **options):
        subscriber, user, actor = data_subject_from_options(options)
        result = subscriber_erase(
            subscriber=subscriber,
            reason=options["reason"],
            channel=ConsentChannel.COMMAND,
            actor=actor,
            user=user,
        )
        if result.reasons:
            raise CommandError("Cancellazione rinviata: " + "; ".join(result.reasons))
        self.stdout.write(
            self.style.SUCCESS(f"Dati del cittadino {result.subscriber.pk} cancellati.")
        )
