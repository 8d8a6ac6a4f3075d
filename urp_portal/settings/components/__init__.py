"""The settings by concern, each imported by `urp_portal.settings.base` (HackSoft's
config/settings/): sign-in and security headers, locale, API, WhatsApp gateway, Celery and its
schedule, its queues by urgency, privacy, broadcasts, logging and error reporting."""
