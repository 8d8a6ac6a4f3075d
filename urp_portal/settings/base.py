"""Settings read from the environment (twelve-factor). Every variable is listed in .env.example."""

from django.core.exceptions import ImproperlyConfigured

from .env import BASE_DIR, DEBUG, env

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
    # django-axes, under an Italian name in the menu.
    "urp_portal.accounts.axes_app.AxesConfig",
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
    # Every page's Content-Security-Policy, with the nonce its scripts carry (django-csp's, not
    # built for the live poll's JSON).
    "tickets.live_door.SkipJsonCspMiddleware",
    # The live poll's GET goes from here through URP_LIVE_MIDDLEWARE alone (tickets/live_door.py).
    "tickets.live_door.LiveDoorMiddleware",
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
    # The comune the request works for, on a deployment serving several (issue #24).
    "urp_portal.accounts.request_scope.ComuneScopeMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it turns a lockout into its answer.
    "axes.middleware.AxesMiddleware",
]

# The middleware of `POST /webhooks/whatsapp/...` (urp_portal/webhook_wsgi.py): a signed,
# anonymous, csrf-exempt request needs its request id, the HTTPS redirect and the URL's slash,
# none of the site's sessions, logins or page headers. Off (the plain path): every request
# takes MIDDLEWARE.
URP_WEBHOOK_MIDDLEWARE = (
    [
        "urp_portal.observability.middleware.RequestIdMiddleware",
        "django.middleware.security.SecurityMiddleware",
        "django.middleware.common.CommonMiddleware",
    ]
    if env.bool("URP_WEBHOOK_LEAN_MIDDLEWARE", default=True)
    else []
)

# The middleware of the live console's poll, `GET /admin/tickets/ticket/live/` every 2 s from
# every open console (tickets/live_door.py): every guard of a console page (session, language,
# user, timeouts, second factor), none of the page-only ones, no walk of the admin's URLs. Off
# (the plain path): the poll takes MIDDLEWARE like any request.
URP_LIVE_MIDDLEWARE = (
    [
        "django.contrib.sessions.middleware.SessionMiddleware",
        "django.middleware.locale.LocaleMiddleware",
        "django.contrib.auth.middleware.AuthenticationMiddleware",
        "urp_portal.accounts.middleware.SessionTimeoutMiddleware",
        "django_otp.middleware.OTPMiddleware",
        "urp_portal.accounts.middleware.SecondFactorMiddleware",
        # The poll reads one comune's changes: without it, a deployment of several would
        # answer the poll unscoped (ComuneScopeMissing) or, worse, with every comune's rows.
        "urp_portal.accounts.request_scope.ComuneScopeMiddleware",
    ]
    if env.bool("URP_LIVE_LEAN_MIDDLEWARE", default=True)
    else []
)

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
# The hand-written statements of the hottest writes (storing a webhook, claiming and recording a
# send: gateway/services/webhook_statements.py, outbox_statements.py); off, the same writes go
# through the ORM, for a database or driver they do not suit or to rule them out in a fault.
URP_DATABASE_FAST_PATHS = env.bool("URP_DATABASE_FAST_PATHS", default=True)
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

EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
# The console backend prints every email into the process's log: a forwarded ticket's email
# carries the citizen's name, number and words, which would outlive an erasure there. Fine
# for the demo, never with DEBUG off: production names a real server (smtp+tls://...).
if not DEBUG and EMAIL_CONFIG["EMAIL_BACKEND"] == "django.core.mail.backends.console.EmailBackend":
    raise ImproperlyConfigured(
        "EMAIL_URL must name a real mail server when DEBUG is off (e.g. smtp+tls://user:pass@"
        "host:587): the console backend would print citizens' data into the logs."
    )
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="urp@comune.example.it")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# The settings by concern (HackSoft's config/settings/): each module reads its own variables.
from .components.api import *  # noqa: E402, F403
from .components.broadcasts import *  # noqa: E402, F403
from .components.celery import *  # noqa: E402, F403
from .components.locale import *  # noqa: E402, F403
from .components.observability import *  # noqa: E402, F403
from .components.privacy import *  # noqa: E402, F403
from .components.queues import *  # noqa: E402, F403
from .components.security import *  # noqa: E402, F403
from .components.whatsapp import *  # noqa: E402, F403
