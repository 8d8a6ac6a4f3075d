"""The inbound pipeline (DESIGN.md): ordered steps named in settings.URP_INBOUND_PIPELINE.

A step is a function `step(message, context) -> Step.CONTINUE | Step.HANDLED`, living in its app's
`inbound.py`. The gateway imports no app: it loads the steps by name. The whole pipeline for one
message runs in one transaction with the message's own state change, so a worker killed half way
leaves nothing behind and the re-run starts clean; replies written by steps go to the outbox in the
same transaction and are sent only after commit.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from .models import InboundMessage
from .states import InboundState


class Step(enum.Enum):
    CONTINUE = "continue"
    HANDLED = "handled"


@dataclass
class PipelineContext:
    """What the steps share about one message. Apps put their objects in `found`
    (e.g. found["subscriber"]) for the later steps."""

    municipality: Any
    now: dt.datetime
    found: dict[str, Any] = field(default_factory=dict)
    flags: list[Any] = field(default_factory=list)


StepFunction = Callable[[InboundMessage, PipelineContext], Step]


@cache
def _steps(names: tuple[str, ...]) -> list[tuple[str, StepFunction]]:
    return [(name, import_string(name)) for name in names]


def pipeline_steps() -> list[tuple[str, StepFunction]]:
    return _steps(tuple(settings.URP_INBOUND_PIPELINE))


def inbound_message_run_pipeline(*, message_id: int) -> str:
    """Run the pipeline once for a stored message; a processed message is left alone.
    Returns the name of the step that handled it ("" if every step went on)."""
    from urp_portal.municipality.scope import comune_scope
    from urp_portal.municipality.selectors import municipality_for_scope, municipality_get_active

    with transaction.atomic():
        message = InboundMessage.objects.select_for_update().get(pk=message_id)
        if message.state == InboundState.PROCESSED:
            return message.handled_by
        # The comune of the number the citizen wrote to: every step, every reply and every
        # row the steps make are that comune's (municipality/scope.py).
        comune = municipality_for_scope(comune_id=message.comune_id) if message.comune_id else None
        with comune_scope(comune):
            context = PipelineContext(municipality=municipality_get_active(), now=timezone.now())
            handled_by = ""
            for name, step in pipeline_steps():
                if step(message, context) is Step.HANDLED:
                    handled_by = name
                    break
        message.state = InboundState.PROCESSED
        message.handled_by = handled_by
        message.save(update_fields=["state", "handled_by"])
    return handled_by
