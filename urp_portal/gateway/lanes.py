"""Who goes first when everything is busy: the send classes of the rate limiter.

OutboundMessage.priority says what a message is: 5 (the default) a message to one citizen, a
reply, a welcome, a notice; below 5 a broadcast's (broadcasts use 3); 9 and above an emergency
alert. The gateway knows only these numbers, never the app that chose them.
"""

from __future__ import annotations

import enum

# OutboundMessage.priority below this: a broadcast's message (bulk).
INTERACTIVE_PRIORITY = 5
# And from this up: an emergency alert, ahead of any other broadcast.
ALERT_PRIORITY = 9


class SendClass(enum.IntEnum):
    """The rate limiter's classes, first to last (ratelimit.py says how each takes its slot)."""

    # A citizen is waiting for it: takes the next free slot at once, ahead of any broadcast.
    INTERACTIVE = 0
    # An emergency alert: takes the slots no citizen needs, before any other broadcast.
    ALERT = 1
    # A broadcast: takes what is left.
    BULK = 2


def send_class(priority: int) -> SendClass:
    if priority >= ALERT_PRIORITY:
        return SendClass.ALERT
    if priority < INTERACTIVE_PRIORITY:
        return SendClass.BULK
    return SendClass.INTERACTIVE


def is_bulk(priority: int) -> bool:
    """Sent by the broadcasts' tasks and queue (an alert too: it is a broadcast)."""
    return send_class(priority) != SendClass.INTERACTIVE
