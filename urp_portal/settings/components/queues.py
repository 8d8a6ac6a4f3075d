"""Celery's queues by urgency and which task goes on which (docs/operations.md, "Queues and
workers")."""

from kombu import Queue

# --- Queues by urgency (docs/operations.md, "Queues and workers") ------------------------------
# Four queues, most urgent first. A worker started without -Q (the demo, the embedded default,
# `celery -A urp_portal worker`) takes all of them and always looks at them in this order
# (queue_order_strategy "priority" in celery.py; the embedded broker does the same): a
# citizen's message never waits behind a broadcast's batch or the status storm it brings. In
# production each group can have workers of its own (docker-compose.yml: -Q citizens, ...).
CELERY_TASK_QUEUES = [
    # Citizens: their messages (webhook events, the inbound pipeline, media) and every message
    # sent to one citizen (replies, welcome, out-of-hours, identity questions): someone waits.
    Queue("citizens"),
    # WhatsApp's statuses of our messages, applied in groups: counters and ticks trail by them.
    Queue("statuses"),
    # Broadcasts: campaign starts, batches and their sends; paced by the rate limiter anyway.
    Queue("broadcasts"),
    # Housekeeping: the scheduler's periodic tasks (sweeps, purges, warnings, template sync).
    Queue("housekeeping"),
]
# What is not routed below (a new periodic task) is housekeeping: never ahead of a citizen.
CELERY_TASK_DEFAULT_QUEUE = "housekeeping"
CELERY_TASK_ROUTES = {
    # A stored webhook's processing (a citizen's message, or a status sorted as one).
    "urp_portal.gateway.tasks.webhook_event_process": {"queue": "citizens"},
    # Moves the webhooks' Redis list of events to processing tasks.
    "urp_portal.gateway.tasks.webhook_events_drain": {"queue": "citizens"},
    # The inbound pipeline of a message the sweep found unprocessed.
    "urp_portal.gateway.tasks.inbound_message_process": {"queue": "citizens"},
    # A citizen's photo or voice note: Meta's URL lives five minutes.
    "urp_portal.gateway.media_tasks.inbound_media_fetch": {"queue": "citizens"},
    # One message to one citizen (reply, welcome, notice, operator's answer).
    "urp_portal.gateway.tasks.outbound_message_send": {"queue": "citizens"},
    # The simulator's citizen writing (demo and training): a citizen's message.
    "urp_portal.simulator.tasks.citizen_message_post": {"queue": "citizens"},
    # A citizen's request forwarded by email to a municipal service.
    "tickets.tasks.forward_email_send": {"queue": "citizens"},
    # Status webhooks applied in groups, and their drain.
    "urp_portal.gateway.tasks.webhook_statuses_drain": {"queue": "statuses"},
    "urp_portal.gateway.tasks.webhook_status_events_process": {"queue": "statuses"},
    # The simulator posting its statuses back (demo and training).
    "urp_portal.simulator.tasks.simulated_status_post": {"queue": "statuses"},
    # A broadcast's batches of sends, and its messages sent alone (paced or retried).
    "urp_portal.gateway.tasks.outbound_messages_send_batch": {"queue": "broadcasts"},
    "urp_portal.gateway.tasks.outbound_message_send_bulk": {"queue": "broadcasts"},
    # A campaign's start and its chain of batches (the periodic ones stay housekeeping).
    "broadcasts.tasks.campaign_start_task": {"queue": "broadcasts"},
    "broadcasts.tasks.campaign_send_batch": {"queue": "broadcasts"},
    # A template sent to Meta for review, and the simulator's verdict on it: staff wait minutes
    # for Meta's answer anyway, so these never go ahead of a citizen or a broadcast.
    "broadcasts.tasks.message_template_submit_task": {"queue": "housekeeping"},
    "urp_portal.simulator.tasks.simulated_template_review": {"queue": "housekeeping"},
}
