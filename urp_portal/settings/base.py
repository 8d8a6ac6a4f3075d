"""Settings read from the environment (twelve-factor). Every variable is listed in .env.example."""

from pathlib import Path

import environ
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _
from kombu import Queue

from urp_portal.observability.logs import logging_config
from urp_portal.observability.sentry import sentry_init

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
# A developer's .env is convenient on a laptop; in production the real environment wins.
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)

SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "insecure-development-only-key-never-use-in-production"  # noqa: S105

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    # Staff sign-in: lockout after repeated failures, and the TOTP second factor (before
    # accounts, whose admin replaces django-otp's device admin).
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "rest_framework",
    "drf_spectacular",
    # Swagger UI and Redoc as static files: the docs page needs no CDN.
    "drf_spectacular_sidecar",
    "crispy_forms",
    "crispy_bootstrap5",
    # The ground: the comune's configuration and the WhatsApp port import no product app.
    "urp_portal.municipality",
    "urp_portal.gateway",
    "urp_portal.accounts",
    # Always installed (its table exists everywhere); its URLs are mounted only when enabled.
    "urp_portal.simulator",
    # The API's conventions (idempotency records); its resources live in each app's api.py.
    "urp_portal.api",
    # The product's apps, in dependency order (DESIGN.md).
    "subscribers",
    "tickets",
    "moderation",
    "broadcasts",
    # The audit trail (who viewed, who changed) and the records of processing: ground level,
    # imports no product app; the product apps call its service.
    "urp_portal.audit",
    # The composition root's demo commands (`make demo`).
    "urp_portal.demo",
    # The composition root's operations commands (`check_config`).
    "urp_portal.operations",
]

MIDDLEWARE = [
    # First: every later middleware's log lines, and the tasks they enqueue, carry the request id.
    "urp_portal.observability.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Every page's Content-Security-Policy, with the nonce its scripts carry.
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Idle and absolute session timeouts, before anything reads who the user is.
    "urp_portal.accounts.middleware.SessionTimeoutMiddleware",
    "django_otp.middleware.OTPMiddleware",
    # Administrators, moderators and everyone who enrolled pass the second factor first.
    "urp_portal.accounts.middleware.SecondFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it turns a lockout into its answer.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    # First: refuses a locked-out client before the password is even checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "urp_portal.urls"
WSGI_APPLICATION = "urp_portal.wsgi.application"
ASGI_APPLICATION = "urp_portal.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
            ],
        },
    },
]

# The embedded default needs no server: one SQLite file beside the code.
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'var' / 'urp.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web process, the worker and the scheduler share the file: wait for locks, do not fail.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL;"}
    )
    # Tests with a real worker process need a file the worker can open, not an in-memory database.
    DATABASES["default"]["TEST"] = {"NAME": str(BASE_DIR / "var" / "test-urp.sqlite3")}
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    # 4.2 million passwords seen in breaches, checked offline (urp_portal/accounts/passwords.py).
    {"NAME": "urp_portal.accounts.passwords.BreachedPasswordValidator"},
]

LANGUAGE_CODE = "it"
LANGUAGES = [("it", _("Italiano")), ("en", _("Inglese"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Rome"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "var" / "media")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

LOGIN_URL = "admin:login"

# --- Staff sign-in and sessions (urp_portal/accounts; README, "Security") -----------------------
# A session ends after this long without a request, and in any case this long after the login.
URP_SESSION_IDLE_MINUTES = env.int("URP_SESSION_IDLE_MINUTES", default=30)
URP_SESSION_MAX_HOURS = env.int("URP_SESSION_MAX_HOURS", default=10)
SESSION_COOKIE_AGE = URP_SESSION_MAX_HOURS * 3600
# Office PCs are shared: closing the browser ends the session.
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
# Lax, not Strict: the link in a service's email must open the console already signed in.
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
# Failed sign-ins allowed per username and address before a cool-off; each further series of
# failures within a day doubles it (urp_portal/accounts/lockout.py).
AXES_FAILURE_LIMIT = env.int("URP_LOGIN_FAILURE_LIMIT", default=5)
URP_LOGIN_COOLOFF_MINUTES = env.int("URP_LOGIN_COOLOFF_MINUTES", default=15)
AXES_COOLOFF_TIME = "urp_portal.accounts.lockout.login_cool_off"
# Each attempt keeps its own expiry, so one client's short cool-off never erases another's long
# one; the failure log is what the progression counts.
AXES_USE_ATTEMPT_EXPIRATION = True
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_RESET_ON_SUCCESS = True
# A try during the cool-off is refused without counting: the wait shown stays the wait.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
# Username and address together: operators share the office's address, so locking an address
# would lock the whole URP, and locking a username alone would let anyone lock out a colleague.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
# Reverse proxies in front of gunicorn (0: clients connect directly). With N, the client is the
# Nth address from the right of X-Forwarded-For: the one our outermost proxy saw connect. What a
# client writes further left is not trusted (urp_portal/accounts/lockout.py, client_address).
URP_PROXY_COUNT = env.int("URP_PROXY_COUNT", default=0)
AXES_CLIENT_IP_CALLABLE = "urp_portal.accounts.lockout.client_address"
# The issuer shown in the authenticator app beside the username.
OTP_TOTP_ISSUER = env.str("URP_OTP_ISSUER", default="URP Portal")

# --- Content-Security-Policy (django-csp) --------------------------------------------------------
# Scripts run only from our own static files or with this response's nonce; nothing is framed,
# no plugin runs, no <base> redirects relative URLs. Styles allow inline attributes: the
# console's charts set their bars' sizes in the markup, and CSS runs no code.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, "'unsafe-inline'"],
        # data: for the enrolment's QR code and Swagger UI's icons.
        "img-src": [SELF, "data:"],
        "font-src": [SELF, "data:"],
        "media-src": [SELF],
        "connect-src": [SELF],
        # Redoc searches the schema in a worker it builds from a blob.
        "worker-src": [SELF, "blob:"],
        "object-src": [NONE],
        "base-uri": [NONE],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    },
}

EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="urp@comune.example.it")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # First, so an unauthenticated request is answered 401 with `WWW-Authenticate: Token`.
        "urp_portal.accounts.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "EXCEPTION_HANDLER": "urp_portal.api.errors.api_exception_handler",
    "DEFAULT_PAGINATION_CLASS": "urp_portal.api.pagination.ApiCursorPagination",
    "DEFAULT_THROTTLE_CLASSES": ["urp_portal.api.throttling.PrincipalRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "reads": env.str("API_THROTTLE_READ_RATE", default="600/min"),
        "writes": env.str("API_THROTTLE_WRITE_RATE", default="120/min"),
        "anonymous": env.str("API_THROTTLE_ANONYMOUS_RATE", default="60/min"),
    },
    "DEFAULT_SCHEMA_CLASS": "urp_portal.api.schema.ApiAutoSchema",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "URP Portal API",
    "DESCRIPTION": (
        "API per i sistemi del comune: ticket, cittadini, comunicazioni, statistiche. "
        "Autenticazione: `Authorization: Token <chiave>`. Errori: "
        '`{"code", "message", "message_en", "details"}`. Le scritture accettano '
        "`Idempotency-Key`. Le liste rispondono `{results, next}`."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "PREPROCESSING_HOOKS": ["urp_portal.api.schema.only_api_v1_endpoints"],
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "SWAGGER_UI_SETTINGS": {"persistAuthorization": True},
    "REDOC_DIST": "SIDECAR",
    # Every app has a "status" or "state": each enum gets its own name in the document.
    # The API's row ids in paths (urp_portal/api/urls.py): at most 18 digits.
    "PATH_CONVERTER_OVERRIDES": {
        "id": {"type": "integer", "minimum": 0, "maximum": 999_999_999_999_999_999}
    },
    "ENUM_NAME_OVERRIDES": {
        "SubscriberStatusEnum": "subscribers.states.SubscriberStatus",
        "TicketStateEnum": "tickets.states.TicketState",
        "TicketCategoryEnum": "tickets.states.TicketCategory",
        "MessageOriginEnum": "tickets.states.MessageOrigin",
        "MessageKindEnum": "urp_portal.gateway.states.MessageKind",
        "OutboundStateEnum": "urp_portal.gateway.states.OutboundState",
        "CampaignStateEnum": "broadcasts.states.CampaignState",
        "TemplateApprovalEnum": "broadcasts.states.TemplateApproval",
        "TemplateCategoryEnum": "broadcasts.states.TemplateCategory",
    },
}

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
# --- Queues by urgency (docs/operations.md, "Queues and workers") ------------------------------
# Four queues, most urgent first. A worker started without -Q (the demo, the embedded default,
# `celery -A urp_portal worker`) takes all of them and always looks at them in this order
# (queue_order_strategy "priority" below; the embedded broker does the same): a citizen's
# message never waits behind a broadcast's batch or the status storm it brings. In production
# each group can have workers of its own (docker-compose.yml: -Q citizens, -Q statuses, ...).
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
}
CELERY_BEAT_SCHEDULE: dict = {}
# Operators are warned by email before a ticket's answer deadline is missed (once per ticket).
CELERY_BEAT_SCHEDULE["tickets-deadline-warnings"] = {
    "task": "tickets.tasks.tickets_deadline_warnings",
    "schedule": 600.0,
}
# Idempotency keys outlive their 24 hours only until this purge: the table stays small.
CELERY_BEAT_SCHEDULE["api-idempotency-purge"] = {
    "task": "urp_portal.api.tasks.idempotency_records_purge_task",
    "schedule": 3600.0,
}
CELERY_BEAT_SCHEDULE_FILENAME = env.str(
    "CELERY_BEAT_SCHEDULE_FILENAME", default=str(BASE_DIR / "var" / "celerybeat-schedule")
)

# --- WhatsApp gateway (DESIGN.md, "Gateway contract") -------------------------------------------
WHATSAPP_GATEWAY = env.str("WHATSAPP_GATEWAY", default="simulator")
WHATSAPP_GRAPH_URL = env.str("WHATSAPP_GRAPH_URL", default="https://graph.facebook.com/v23.0")
WHATSAPP_PHONE_NUMBER_ID = env.str("WHATSAPP_PHONE_NUMBER_ID", default="")
WHATSAPP_ACCESS_TOKEN = env.str("WHATSAPP_ACCESS_TOKEN", default="")
WHATSAPP_APP_SECRET = env.str("WHATSAPP_APP_SECRET", default="")
WHATSAPP_VERIFY_TOKEN = env.str("WHATSAPP_VERIFY_TOKEN", default="")
WHATSAPP_RATE_PER_SECOND = env.int("WHATSAPP_RATE_PER_SECOND", default=80)
TWILIO_ACCOUNT_SID = env.str("TWILIO_ACCOUNT_SID", default="")
TWILIO_AUTH_TOKEN = env.str("TWILIO_AUTH_TOKEN", default="")
TWILIO_WHATSAPP_FROM = env.str("TWILIO_WHATSAPP_FROM", default="")
TWILIO_API_URL = env.str("TWILIO_API_URL", default="https://api.twilio.com")

# --- Simulator (urp_portal/simulator): a fake Cloud API and the citizen's phone -----------------
# For the demo, the tests and operators' training; never enabled with DEBUG off (production.py
# forces it off and a system check refuses it).
SIMULATOR_ENABLED = DEBUG and env.bool("SIMULATOR_ENABLED", default=WHATSAPP_GATEWAY == "simulator")
# Where the simulator adapter sends (the fake Graph API mounted under /simulator/).
SIMULATOR_GRAPH_URL = env.str(
    "SIMULATOR_GRAPH_URL", default="http://127.0.0.1:8000/simulator/graph/v23.0"
)
# The product's own Meta webhook, where the citizen's phone posts and statuses come back.
SIMULATOR_WEBHOOK_URL = env.str(
    "SIMULATOR_WEBHOOK_URL", default="http://127.0.0.1:8000/webhooks/whatsapp/meta/"
)
# Seconds between the status webhooks of one sent message (sent, delivered, read).
SIMULATOR_STATUS_DELAY_SECONDS = env.float("SIMULATOR_STATUS_DELAY_SECONDS", default=1.0)

# --- Inbound media (urp_portal/gateway/media.py) ----------------------------------------------
# Largest media file kept from a citizen; WhatsApp itself caps video and audio at 16 MB.
URP_MEDIA_MAX_BYTES = env.int("URP_MEDIA_MAX_BYTES", default=16 * 1024 * 1024)
# --- Subscribers: the consent ledger's pseudonymous key -----------------------------------------
# Key of the HMAC-SHA256 that stands for an erased number in the consent ledger. Keep it outside
# the database and its backups; changing it breaks the link between old and new records.
URP_PSEUDONYM_KEY = env.str("URP_PSEUDONYM_KEY", default="")
if not URP_PSEUDONYM_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("URP_PSEUDONYM_KEY must be set when DEBUG is off.")
    URP_PSEUDONYM_KEY = "insecure-development-only-pseudonym-key"

# Erase the data of those who left the list once the comune's retention period is over, and wipe
# the recipient of a confirmation sent to an already erased number.
CELERY_BEAT_SCHEDULE["subscribers-erase-expired"] = {
    "task": "subscribers.tasks.subscribers_erase_expired",
    "schedule": 3600.0,
}
CELERY_BEAT_SCHEDULE["subscribers-outbound-scrub-sent"] = {
    "task": "subscribers.tasks.outbound_scrub_sent",
    "schedule": 600.0,
}
# Moderation blocks with an end date lapse by themselves.
CELERY_BEAT_SCHEDULE["moderation-blocks-lapse"] = {
    "task": "moderation.tasks.moderation_blocks_lapse",
    "schedule": 300.0,
}

# Steps of the inbound pipeline, in order, like middleware (DESIGN.md, "The inbound path").
URP_INBOUND_PIPELINE = [
    "moderation.inbound.drop_if_blocked",
    "subscribers.inbound.keywords",
    "subscribers.inbound.identity",
    "tickets.inbound.accepted_here",
    "moderation.inbound.screen",
    "tickets.inbound.to_ticket",
    "tickets.inbound.auto_replies",
]

# --- Logging, request ids, Sentry (urp_portal/observability) ------------------------------------
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
# "plain" lines for a terminal, "json" (one object per line) for a log collector. Production
# (DEBUG off) defaults to json in production.py.
LOG_FORMAT = env.str("LOG_FORMAT", default="plain")
LOGGING = logging_config(level=LOG_LEVEL, log_format=LOG_FORMAT)
# Errors to Sentry only when a DSN is given; no personal data is sent (send_default_pii=False).
SENTRY_DSN = env.str("SENTRY_DSN", default="")
SENTRY_ENVIRONMENT = env.str("SENTRY_ENVIRONMENT", default="production")
SENTRY_TRACES_SAMPLE_RATE = env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0)
sentry_init(
    dsn=SENTRY_DSN,
    environment=SENTRY_ENVIRONMENT,
    traces_sample_rate=SENTRY_TRACES_SAMPLE_RATE,
)

# --- Audit trail (urp_portal/audit) --------------------------------------------------------------
# Days an audit event is kept; a daily task deletes older ones. The Garante's rule on system
# administrators' access logs asks for at least six months.
URP_AUDIT_RETENTION_DAYS = env.int("URP_AUDIT_RETENTION_DAYS", default=365)
CELERY_BEAT_SCHEDULE["audit-purge-expired"] = {
    "task": "urp_portal.audit.tasks.audit_purge_expired_task",
    "schedule": 86400.0,
}

# --- WhatsApp gateway: delivery (issue 3) -------------------------------------------------------
# Seconds between two messages to the same citizen: Meta's pair rate limit (131056) allows
# about one message every 6 seconds to one number. Urgent messages skip it.
WHATSAPP_RECIPIENT_INTERVAL_SECONDS = env.float("WHATSAPP_RECIPIENT_INTERVAL_SECONDS", default=6.0)
# Transient send failures (network, 5xx, 429) and database errors are retried with exponential
# backoff and full jitter: a countdown drawn up to BACKOFF * 2^n seconds, never above BACKOFF_MAX,
# at most MAX_RETRIES times. With 2 s, 600 s and 12 retries a message waits out a Graph outage of
# about 20 minutes on average; with 8 retries (the earlier value) the jitter made 1 message in
# 300 give up during a one-minute outage and 2 in 3 during a five-minute one. BACKOFF_MAX must
# stay far below the Redis visibility_timeout (3600 s, below).
WHATSAPP_SEND_RETRY_BACKOFF_SECONDS = env.int("WHATSAPP_SEND_RETRY_BACKOFF_SECONDS", default=2)
WHATSAPP_SEND_RETRY_BACKOFF_MAX_SECONDS = env.int(
    "WHATSAPP_SEND_RETRY_BACKOFF_MAX_SECONDS", default=600
)
WHATSAPP_SEND_MAX_RETRIES = env.int("WHATSAPP_SEND_MAX_RETRIES", default=12)
# The safety net for tasks lost with a dead worker: rows left `sending` are marked for review,
# queued rows and unprocessed webhooks are enqueued again.
CELERY_BEAT_SCHEDULE["gateway-sweep"] = {
    "task": "urp_portal.gateway.tasks.gateway_sweep",
    "schedule": 60.0,
}
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

# --- Broadcasts ---------------------------------------------------------------------------------
# Deliveries handed to the gateway per batch (one send task each), and at most this many waiting
# at the gateway at once: the rest wait in the database, so an emergency alert queues behind
# at most 5 s of a broadcast at 80/s. 200 / 400 kept two workers busy where 100 / 300 left them
# waiting for the next hand-off (benchmarks/results/campaign_fanout.txt: 73% of the bare loop
# instead of 59%).
BROADCAST_BATCH_SIZE = env.int("BROADCAST_BATCH_SIZE", default=200)
BROADCAST_MAX_IN_FLIGHT = env.int("BROADCAST_MAX_IN_FLIGHT", default=400)
BROADCAST_PLAN_CHUNK = 5000
BROADCAST_WAIT_SECONDS = 1.0
BROADCAST_EMERGENCY_YIELD_SECONDS = 5.0
# A sending campaign with no batch for this long lost its worker; a message handed to the
# gateway and still queued after this long lost its send task. Both are picked up again.
BROADCAST_STUCK_AFTER_SECONDS = 120
BROADCAST_LOST_AFTER_SECONDS = 600
CELERY_BEAT_SCHEDULE.update(
    {
        "broadcasts-start-due": {"task": "broadcasts.tasks.campaigns_start_due", "schedule": 30.0},
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
