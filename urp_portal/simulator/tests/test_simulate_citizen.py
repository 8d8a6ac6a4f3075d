import socket

import pytest
from django.core.management import CommandError, call_command

from urp_portal.simulator.models import SimulatedMessage
from urp_portal.simulator.states import SimulatedStatus

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _demo(settings):
    settings.DEBUG = True


def test_the_command_refuses_without_debug(settings):
    settings.DEBUG = False

    with pytest.raises(CommandError, match="Solo per la demo"):
        call_command("simulate_citizen", "--number", "+393205550103", "--text", "Ciao")

    assert not SimulatedMessage.objects.exists()


def test_the_command_posts_a_citizens_text_and_photo(webhook_receiver, capsys):
    call_command(
        "simulate_citizen",
        "--number",
        "+393205550103",
        "--name",
        "Francesca Pinna",
        "--text",
        "Buca in via Roma",
        "--image",
    )

    (request,) = webhook_receiver.requests
    raw = request.json()["entry"][0]["changes"][0]["value"]["messages"][0]
    assert (raw["type"], raw["from"], raw["image"]["caption"]) == (
        "image",
        "393205550103",
        "Buca in via Roma",
    )
    assert SimulatedMessage.objects.get().status == SimulatedStatus.DELIVERED
    assert "accettato" in capsys.readouterr().out


def test_the_command_says_when_the_webhook_is_unreachable(settings):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        free_port = probe.getsockname()[1]
    settings.SIMULATOR_WEBHOOK_URL = f"http://127.0.0.1:{free_port}/webhooks/whatsapp/meta/"

    with pytest.raises(CommandError, match="non risponde"):
        call_command("simulate_citizen", "--number", "+393205550103", "--text", "Ciao")


def test_the_command_refuses_an_invalid_number():
    with pytest.raises(CommandError, match="Numero non valido"):
        call_command("simulate_citizen", "--number", "abc", "--text", "Ciao")
