"""The WhatsApp port's adapters. Until the real ones land, the log adapter stands in."""

import logging
import uuid
from dataclasses import dataclass

from .models import OutboundMessage

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SendResult:
    provider_id: str


class LogAdapter:
    """Logs what it would send; the embedded default until a real gateway is configured."""

    name = "log"

    def send(self, message: OutboundMessage) -> SendResult:
        logger.info(
            "WhatsApp (log) to=%s purpose=%s text=%r template=%s",
            message.to,
            message.purpose,
            message.text[:200],
            message.template_name,
        )
        return SendResult(provider_id=f"log.{uuid.uuid4().hex}")


def get_adapter() -> LogAdapter:
    return LogAdapter()
