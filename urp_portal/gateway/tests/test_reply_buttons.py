"""Interactive reply-buttons messages (issue #22's satisfaction survey) through the `meta`
adapter to the fake Graph API: Meta's payload, at most three buttons."""

import datetime as dt

import pytest
from django.utils import timezone

from urp_portal.gateway.models import InboundMessage
from urp_portal.gateway.services import outbound_message_create
from urp_portal.gateway.tasks import outbound_message_send as send_task

CITIZEN = "+393339876500"


@pytest.fixture(autouse=True)
def _no_pacing(settings):
    settings.WHATSAPP_RATE_PER_SECOND = 0
    settings.WHATSAPP_RECIPIENT_INTERVAL_SECONDS = 0


def test_buttons_go_as_an_interactive_button_message(db, fake_graph):
    InboundMessage.objects.create(
        provider_id="wamid.in.1",
        sender=CITIZEN,
        sent_at=timezone.now() - dt.timedelta(hours=1),
        kind="text",
        text="Buongiorno",
    )
    message = outbound_message_create(
        to=CITIZEN,
        purpose="satisfaction_survey",
        text="Quanto è soddisfatto?",
        buttons=[
            {"id": "csat:7:3", "title": "Soddisfatto"},
            {"id": "csat:7:2", "title": "Una scelta con un titolo troppo lungo"},
        ],
    )

    send_task.apply((message.pk,))

    (request,) = fake_graph.sent_messages()
    assert request.json["type"] == "interactive"
    assert request.json["interactive"] == {
        "type": "button",
        "body": {"text": "Quanto è soddisfatto?"},
        "action": {
            "buttons": [
                {"type": "reply", "reply": {"id": "csat:7:3", "title": "Soddisfatto"}},
                # Meta takes titles of at most 20 characters.
                {"type": "reply", "reply": {"id": "csat:7:2", "title": "Una scelta con un ti"}},
            ]
        },
    }


def test_more_than_three_buttons_are_refused(db):
    four = [{"id": str(n), "title": str(n)} for n in range(4)]
    with pytest.raises(ValueError, match="at most 3"):
        outbound_message_create(to=CITIZEN, purpose="x", text="?", buttons=four)
