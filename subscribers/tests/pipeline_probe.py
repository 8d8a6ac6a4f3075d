"""A stand-in for the tickets app's `to_ticket` step in tests: it records which messages reach
the steps after `identity`, and takes them."""

from urp_portal.gateway.pipeline import Step

reached: list[int] = []


def to_ticket(message, context) -> Step:
    reached.append(message.pk)
    return Step.HANDLED


PIPELINE_WITH_PROBE = [
    "moderation.inbound.drop_if_blocked",
    "subscribers.inbound.keywords",
    "subscribers.inbound.identity",
    "subscribers.tests.pipeline_probe.to_ticket",
]
