import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from broadcasts.models import Campaign, MessageTemplate
from broadcasts.states import CampaignState, TemplateApproval
from subscribers.models import Subscriber
from subscribers.states import SubscriberStatus
from urp_portal.accounts.roles import GROUP_NAMES


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"staff{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@comune.example.it")
    is_staff = True

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        if create and extracted:
            self.groups.add(Group.objects.get(name=GROUP_NAMES[extracted]))


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


class SubscriberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Subscriber

    number = factory.Sequence(lambda n: f"+39333{n:07d}")
    status = SubscriberStatus.SUBSCRIBED
    subscribed_at = factory.LazyFunction(timezone.now)


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
