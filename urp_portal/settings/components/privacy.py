"""Personal data: the consent ledger's pseudonymous key and how long the audit trail is kept."""

from django.core.exceptions import ImproperlyConfigured

from urp_portal.settings.env import DEBUG, env

# --- Subscribers: the consent ledger's pseudonymous key -----------------------------------------
# Key of the HMAC-SHA256 that stands for an erased number in the consent ledger. Keep it outside
# the database and its backups; changing it breaks the link between old and new records.
URP_PSEUDONYM_KEY = env.str("URP_PSEUDONYM_KEY", default="")
if not URP_PSEUDONYM_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("URP_PSEUDONYM_KEY must be set when DEBUG is off.")
    URP_PSEUDONYM_KEY = "insecure-development-only-pseudonym-key"

# --- Audit trail (urp_portal/audit) --------------------------------------------------------------
# Days an audit event is kept; a daily task deletes older ones. The Garante's rule on system
# administrators' access logs asks for at least six months.
URP_AUDIT_RETENTION_DAYS = env.int("URP_AUDIT_RETENTION_DAYS", default=365)
