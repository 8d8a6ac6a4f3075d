"""The WhatsApp gateway, its delivery pacing and retries, the simulator, inbound media and the
inbound pipeline."""

from urp_portal.settings.env import DEBUG, env

# --- WhatsApp gateway (DESIGN.md, "Gateway contract") -------------------------------------------
WHATSAPP_GATEWAY = env.str("WHATSAPP_GATEWAY", default="simulator")
# Meta's end of support per version: urp_portal/gateway/graph_versions.py (check_config warns).
WHATSAPP_GRAPH_URL = env.str("WHATSAPP_GRAPH_URL", default="https://graph.facebook.com/v25.0")
# The WhatsApp Business Account that holds the templates (POST/GET /{WABA_ID}/message_templates).
WHATSAPP_BUSINESS_ACCOUNT_ID = env.str("WHATSAPP_BUSINESS_ACCOUNT_ID", default="")
# The business portfolio that WABA belongs to (contract extension, issue #24): Meta counts the
# messaging limit per portfolio, so the active comune sending from this number shares a limit
# with the bound numbers of the same portfolio even in other WABAs (gateway/numbers.py).
# Empty: grouped by the WABA alone.
WHATSAPP_BUSINESS_PORTFOLIO_ID = env.str("WHATSAPP_BUSINESS_PORTFOLIO_ID", default="")
# The Meta app's id: a template's header image is uploaded to it (Resumable Upload API,
# POST /{app-id}/uploads) before the template is submitted. Only templates with an image need it.
WHATSAPP_APP_ID = env.str("WHATSAPP_APP_ID", default="")
WHATSAPP_PHONE_NUMBER_ID = env.str("WHATSAPP_PHONE_NUMBER_ID", default="")
WHATSAPP_ACCESS_TOKEN = env.str("WHATSAPP_ACCESS_TOKEN", default="")
WHATSAPP_APP_SECRET = env.str("WHATSAPP_APP_SECRET", default="")
WHATSAPP_VERIFY_TOKEN = env.str("WHATSAPP_VERIFY_TOKEN", default="")
# Keys sealing the comuni's own tokens and app secrets in the database (municipality/sealed.py).
URP_SECRETS_KEY = env.list("URP_SECRETS_KEY", default=[])
WHATSAPP_RATE_PER_SECOND = env.int("WHATSAPP_RATE_PER_SECOND", default=80)
TWILIO_ACCOUNT_SID = env.str("TWILIO_ACCOUNT_SID", default="")
TWILIO_AUTH_TOKEN = env.str("TWILIO_AUTH_TOKEN", default="")
TWILIO_WHATSAPP_FROM = env.str("TWILIO_WHATSAPP_FROM", default="")
TWILIO_API_URL = env.str("TWILIO_API_URL", default="https://api.twilio.com")
# Twilio's Content API (templates: POST /v1/Content, approval requests), another host.
TWILIO_CONTENT_URL = env.str("TWILIO_CONTENT_URL", default="https://content.twilio.com")

# --- Simulator (urp_portal/simulator): a fake Cloud API and the citizen's phone -----------------
# For the demo, the tests and operators' training; never enabled with DEBUG off (production.py
# forces it off and a system check refuses it).
SIMULATOR_ENABLED = DEBUG and env.bool("SIMULATOR_ENABLED", default=WHATSAPP_GATEWAY == "simulator")
# The demo's web server port (`DEMO_PORT=8765 make demo`): every simulator URL below follows it,
# so the phone's texts and the bearer token never go to another program on port 8000.
DEMO_PORT = env.int("DEMO_PORT", default=8000)
# Where the simulator adapter sends (the fake Graph API mounted under /simulator/).
SIMULATOR_GRAPH_URL = env.str(
    "SIMULATOR_GRAPH_URL", default=f"http://127.0.0.1:{DEMO_PORT}/simulator/graph/v25.0"
)
# The product's own Meta webhook, where the citizen's phone posts and statuses come back.
SIMULATOR_WEBHOOK_URL = env.str(
    "SIMULATOR_WEBHOOK_URL", default=f"http://127.0.0.1:{DEMO_PORT}/webhooks/whatsapp/meta/"
)
# Seconds between the status webhooks of one sent message (sent, delivered, read).
SIMULATOR_STATUS_DELAY_SECONDS = env.float("SIMULATOR_STATUS_DELAY_SECONDS", default=1.0)
# Seconds the simulator takes to review a submitted template (Meta: minutes to a day).
SIMULATOR_TEMPLATE_REVIEW_SECONDS = env.float("SIMULATOR_TEMPLATE_REVIEW_SECONDS", default=5.0)

# --- Inbound media (urp_portal/gateway/media.py) ----------------------------------------------
# Largest media file kept from a citizen; WhatsApp itself caps video and audio at 16 MB.
URP_MEDIA_MAX_BYTES = env.int("URP_MEDIA_MAX_BYTES", default=16 * 1024 * 1024)

# --- WhatsApp gateway: delivery (issue 3) -------------------------------------------------------
# Seconds between two messages to the same citizen: Meta's pair rate limit (131056) allows
# about one message every 6 seconds to one number. Urgent messages skip it.
WHATSAPP_RECIPIENT_INTERVAL_SECONDS = env.float("WHATSAPP_RECIPIENT_INTERVAL_SECONDS", default=6.0)
# Transient send failures (network, 5xx, 429) and database errors are retried with exponential
# backoff and full jitter: a countdown drawn up to BACKOFF * 2^n seconds, never above BACKOFF_MAX,
# at most MAX_RETRIES times. With 2 s, 600 s and 12 retries a message waits out a Graph outage of
# about 20 minutes on average; with 8 retries (the earlier value) the jitter made 1 message in
# 300 give up during a one-minute outage and 2 in 3 during a five-minute one. BACKOFF_MAX must
# stay far below the Redis visibility_timeout (3600 s, celery.py).
WHATSAPP_SEND_RETRY_BACKOFF_SECONDS = env.int("WHATSAPP_SEND_RETRY_BACKOFF_SECONDS", default=2)
WHATSAPP_SEND_RETRY_BACKOFF_MAX_SECONDS = env.int(
    "WHATSAPP_SEND_RETRY_BACKOFF_MAX_SECONDS", default=600
)
WHATSAPP_SEND_MAX_RETRIES = env.int("WHATSAPP_SEND_MAX_RETRIES", default=12)

# Flood control (moderation/services/flood.py): more than MAX_MESSAGES from one number within
# WINDOW_SECONDS, or LINKS_MESSAGES messages in a row of nothing but links (0: off), block the
# number for BLOCK_MINUTES (it lapses by itself) with one notice and a flag for the moderators.
# Far beyond a person typing.
URP_FLOOD_MAX_MESSAGES = env.int("URP_FLOOD_MAX_MESSAGES", default=30)
URP_FLOOD_WINDOW_SECONDS = env.int("URP_FLOOD_WINDOW_SECONDS", default=60)
URP_FLOOD_LINKS_MESSAGES = env.int("URP_FLOOD_LINKS_MESSAGES", default=5)
URP_FLOOD_BLOCK_MINUTES = env.int("URP_FLOOD_BLOCK_MINUTES", default=60)

# Steps of the inbound pipeline, in order, like middleware (DESIGN.md, "The inbound path").
# Where the message templates live (urp_portal/gateway/template_catalogue.py): the gateway's
# template webhooks and the replies after 24 hours reach them by this name.
URP_TEMPLATE_CATALOGUE = "broadcasts.catalogue"
URP_INBOUND_PIPELINE = [
    "subscribers.inbound.whatsapp_notices",
    "moderation.inbound.drop_if_blocked",
    "moderation.inbound.flood_control",  # edits and reactions count too
    "moderation.inbound.screen_edits",
    "tickets.inbound.whatsapp_updates",
    "subscribers.inbound.keywords",
    "subscribers.inbound.first_contact_notice",  # GDPR art. 13 to whoever writes
    "subscribers.inbound.identity",
    "tickets.inbound.survey_answer",  # the satisfaction buttons and comment
    "tickets.inbound.accepted_here",
    "moderation.inbound.screen",
    "tickets.inbound.to_ticket",
    "tickets.inbound.belongs_elsewhere",  # reports, access to records: redirect or suggest
    "tickets.inbound.auto_replies",
]

# Asked right before each provider call, after every wait (urp_portal/gateway/services/
# send_checks.py): a reason stops the message. A broadcast to who wrote "Cancellami" meanwhile.
URP_OUTBOUND_SEND_CHECKS = [
    "broadcasts.outbound.recipient_still_listed",
]

# Recovery in seconds (gateway/services/recovery.py, gateway/worker_life.py): each worker run
# beats every HEARTBEAT seconds; a run silent for DEAD_AFTER is dead. Every live worker looks
# for a dead run's work at its start and then every RECOVERY_INTERVAL seconds: claimed rows of
# these purposes are sent again (an in-flight one may arrive twice; the rest go to review), and
# a queued row still there this long after it was due lost its task and is handed again.
URP_WORKER_HEARTBEAT_SECONDS = env.float("URP_WORKER_HEARTBEAT_SECONDS", default=3.0)
URP_WORKER_DEAD_AFTER_SECONDS = env.float("URP_WORKER_DEAD_AFTER_SECONDS", default=15.0)
URP_RECOVERY_INTERVAL_SECONDS = env.float("URP_RECOVERY_INTERVAL_SECONDS", default=5.0)
URP_RESEND_IN_FLIGHT_PURPOSES = ["broadcast"]
URP_LOST_URGENT_AFTER_SECONDS = env.float("URP_LOST_URGENT_AFTER_SECONDS", default=10.0)
URP_LOST_SINGLE_AFTER_SECONDS = env.float("URP_LOST_SINGLE_AFTER_SECONDS", default=15.0)
URP_LOST_BROADCAST_AFTER_SECONDS = env.float("URP_LOST_BROADCAST_AFTER_SECONDS", default=60.0)
