import factory
from django.utils import timezone

from broadcasts.models import Campaign, MessageTemplate
from broadcasts.states import CampaignState, TemplateApproval
from subscribers.models import Subscriber
from subscribers.states import SubscriberStatus
from urp_portal.accounts.tests.factories import UserFactory


class MessageTemplateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MessageTemplate

    name = factory.Sequence(lambda n: f"avviso_{n}")
    language = "it"
    body = "Gentile cittadino, {{1}} il {{2}}. *Comune di Cagliari*"
    approval_status = TemplateApproval.APPROVED


class CampaignFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Campaign

    title = factory.Sequence(lambda n: f"Notizie {n}")
    template = factory.SubFactory(MessageTemplateFactory)
    parameters = ["la raccolta dei rifiuti è sospesa", "25 aprile"]
    state = CampaignState.DRAFT
    created_by = factory.SubFactory(UserFactory)


def subscribers_bulk(count: int, *, start: int = 0) -> list[Subscriber]:
    """Many subscribed citizens in one insert."""
    now = timezone.now()
    return Subscriber.objects.bulk_create(
        [
            Subscriber(
                number=f"+39320{start + i:07d}",
                status=SubscriberStatus.SUBSCRIBED,
                subscribed_at=now,
            )
            for i in range(count)
        ],
        batch_size=2000,
    )
