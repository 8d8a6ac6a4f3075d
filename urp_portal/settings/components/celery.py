"""Celery: the broker (Redis, or the embedded filesystem one), the cache shared with it, the
worker's delivery guarantees and the periodic tasks of every app."""

from pathlib import Path

from urp_portal.settings.env import BASE_DIR, env

from .locale import TIME_ZONE

# --- Celery -------------------------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS: dict = {
        # Longer than any countdown or ETA we schedule, so Redis never redelivers a task that is
        # only waiting for its time (that would duplicate a send).
        "visibility_timeout": 3600,
        # The queues in CELERY_TASK_QUEUES' order at every fetch (kombu's default round robin
        # would serve the broadcasts' queue as often as the citizens').
        "queue_order_strategy": "priority",
    }
else:
    # Embedded default: kombu's filesystem transport needs no server and still runs a real worker
    # and the scheduler, which exchange messages through these folders.
    _broker_dir = env.path("CELERY_FILESYSTEM_BROKER_DIR", default=BASE_DIR / "var" / "broker")
    for _sub in ("out", "processed", "control"):
        (Path(_broker_dir) / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = "filesystem://"
    # kombu's transport, with each message written whole before a worker can see it.
    CELERY_BROKER_TRANSPORT = "urp_portal.embedded_broker:Transport"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(Path(_broker_dir) / "out"),
        "data_folder_out": str(Path(_broker_dir) / "out"),
        "processed_folder": str(Path(_broker_dir) / "processed"),
        # Broadcast (control) messages too, or kombu writes a control/ folder in the working dir.
        "control_folder": str(Path(_broker_dir) / "control"),
        "store_processed": False,
        # kombu polls the folder once a second by default, and a worker then takes one message
        # per poll: a broadcast would crawl at a message a second per process.
        "polling_interval": env.float("CELERY_FILESYSTEM_POLLING_INTERVAL", default=0.05),
    }
# The cache holds the API's throttle counters: shared in Redis when there is one, so every web
# process counts against the same budget.
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "urp",
        }
    }
    # Sessions read from Redis, written through to the database: every console's poll, every 2 s,
    # reads its session (benchmarks/console_poll_cpu.py). Only with a cache every web process
    # shares: one process's memory would keep a session another process has ended.
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_ENABLE_UTC = True
# No result backend: tasks write their outcome to the database, which is what operators read.
CELERY_TASK_IGNORE_RESULT = True
# A task is acknowledged only after it ran: a worker killed mid-task leaves it on the queue, and
# tasks are written to be idempotent so the re-run finds the work done.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
# One message at a time per process: acks_late with a large prefetch would hold (and on a kill,
# re-run) many tasks at once.
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = 60
CELERY_TASK_TIME_LIMIT = 90
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BEAT_SCHEDULE: dict = {}
# Operators are warned by email before a ticket's answer deadline is missed (once per ticket).
CELERY_BEAT_SCHEDULE["tickets-deadline-warnings"] = {
    "task": "tickets.tasks.tickets_deadline_warnings_task",
    "schedule": 600.0,
}
# Late tickets: the assignee, then the URP's head, once per working day while late (#22).
CELERY_BEAT_SCHEDULE["tickets-deadline-escalations"] = {
    "task": "tickets.tasks.tickets_deadline_escalations_task",
    "schedule": 900.0,
}
# Idempotency keys outlive their 24 hours only until this purge: the table stays small.
CELERY_BEAT_SCHEDULE["api-idempotency-purge"] = {
    "task": "urp_portal.api.tasks.idempotency_records_purge_task",
    "schedule": 3600.0,
}
CELERY_BEAT_SCHEDULE_FILENAME = env.str(
    "CELERY_BEAT_SCHEDULE_FILENAME", default=str(BASE_DIR / "var" / "celerybeat-schedule")
)
# acks_late + reject_on_worker_lost (above) redeliver a task whose worker died; with a long
# task that lost its broker connection the same task would run twice at once, so it is
# cancelled instead (the redelivered copy runs; the outbox's `sending` state stops a double send).
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
# The send task sleeps at most for its rate-limit slot (workers / rate seconds) plus one HTTP
# call of at most 25 s (connect 5 + read 20): the 60 s soft / 90 s hard limits above leave room,
# and the sweep waits 5 minutes before calling a `sending` row dead. The longest countdown we
# schedule (retry backoff, WHATSAPP_SEND_RETRY_BACKOFF_MAX_SECONDS, or a paced send) stays far
# below the Redis visibility_timeout of 3600 s, so Redis never hands a waiting task to a second
# worker.

# --- Periodic tasks of the apps ----------------------------------------------------------------
# Erase the data of those who left the list once the comune's retention period is over, and wipe
# the recipient of a confirmation sent to an already erased number.
CELERY_BEAT_SCHEDULE["subscribers-erase-expired"] = {
    "task": "subscribers.tasks.subscribers_erase_expired_task",
    "schedule": 3600.0,
}
CELERY_BEAT_SCHEDULE["subscribers-outbound-scrub-sent"] = {
    "task": "subscribers.tasks.outbound_scrub_sent_task",
    "schedule": 600.0,
}
# Moderation blocks with an end date lapse by themselves.
CELERY_BEAT_SCHEDULE["moderation-blocks-lapse"] = {
    "task": "moderation.tasks.moderation_blocks_lapse_task",
    "schedule": 300.0,
}
CELERY_BEAT_SCHEDULE["audit-purge-expired"] = {
    "task": "urp_portal.audit.tasks.audit_purge_expired_task",
    "schedule": 86400.0,
}
# The safety net for tasks lost with a dead worker: rows left `sending` are marked for review,
# queued rows and unprocessed webhooks are enqueued again.
CELERY_BEAT_SCHEDULE["gateway-sweep"] = {
    "task": "urp_portal.gateway.tasks.gateway_sweep_task",
    "schedule": 60.0,
}
CELERY_BEAT_SCHEDULE.update(
    {
        "broadcasts-start-due": {
            "task": "broadcasts.tasks.campaigns_start_due_task",
            "schedule": 30.0,
        },
        "broadcasts-resume-stuck": {
            "task": "broadcasts.tasks.campaigns_resume_stuck_task",
            "schedule": 60.0,
        },
        "broadcasts-warn-empty-slots": {
            "task": "broadcasts.tasks.broadcast_slots_warn_empty_task",
            "schedule": 900.0,
        },
        # The campaigns' counters, folded so that a read sums a few rows (CampaignStateCount).
        "broadcasts-compact-counts": {
            "task": "broadcasts.tasks.campaign_counts_compact_task",
            "schedule": 15.0,
        },
        "broadcasts-sync-templates": {
            "task": "broadcasts.tasks.message_templates_sync_task",
            "schedule": 3600.0,
        },
    }
)
