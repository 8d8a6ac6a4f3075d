"""The demo's gateway: the real Meta adapter, over HTTP, pointed at the product's own fake Graph
API (urp_portal.simulator), so the demo and the training run exactly the production code."""

from django.conf import settings

from . import meta


class Adapter(meta.Adapter):
    name = "simulator"
    # Meta's secret signs the simulator's webhooks too; it has no token to check.
    required_settings = ("WHATSAPP_APP_SECRET",)
    for_testing_only = True
    processor = None

    @property
    def graph_url(self) -> str:
        return str(settings.SIMULATOR_GRAPH_URL).rstrip("/")

    @property
    def phone_number_id(self) -> str:
        return str(settings.WHATSAPP_PHONE_NUMBER_ID or "simulator")
