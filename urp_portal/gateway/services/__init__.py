"""The gateway's writes. Other apps use `outbound_message_create` and `outbound_messages_cancel`;
the rest serve the webhooks, the tasks and the admin."""

from .cancelling import outbound_messages_cancel
from .outbox import outbound_message_create, outbound_message_send
from .outbox_batch import outbound_messages_send_batch
from .recovery import outbound_message_retry, outbox_sweep
from .statuses import outbound_message_apply_pending, outbound_message_apply_status
from .webhooks import (
    inbound_sweep,
    webhook_event_process,
    webhook_event_record_failure,
    webhook_event_reprocess,
    webhook_event_store,
    webhook_events_drain,
)

__all__ = [
    "inbound_sweep",
    "outbound_message_apply_pending",
    "outbound_message_apply_status",
    "outbound_message_create",
    "outbound_message_retry",
    "outbound_message_send",
    "outbound_messages_cancel",
    "outbound_messages_send_batch",
    "outbox_sweep",
    "webhook_event_process",
    "webhook_event_record_failure",
    "webhook_event_reprocess",
    "webhook_event_store",
    "webhook_events_drain",
]
