"""The five roles of the service as Django groups, each with the least permissions it needs.

The groups are created by a migration; their permissions are declared here and synced after
every `migrate`, so that a model added later gets its permissions without a hand-written step.
"""

from django.contrib.auth.models import Group, Permission
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    ADMINISTRATOR = "administrator", _("Amministratori")
    OPERATOR = "operator", _("Operatori URP")
    COMMUNICATIONS = "communications", _("Comunicazione")
    MODERATOR = "moderator", _("Moderatori")
    SERVICE = "service", _("Servizi comunali")


GROUP_NAMES: dict[str, str] = {
    Role.ADMINISTRATOR: "Amministratori",
    Role.OPERATOR: "Operatori URP",
    Role.COMMUNICATIONS: "Comunicazione",
    Role.MODERATOR: "Moderatori",
    Role.SERVICE: "Servizi comunali",
}

# The provider's administrators (the province, in-house company or vendor running a deployment
# for many comuni): a group beside the five roles, not a role of API tokens (urp_portal/provider/
# access.py says why). It holds no model permission: its pages check the group.
PROVIDER_GROUP_NAME = "Amministratori del fornitore"

ALL = ("view", "add", "change", "delete")
READ = ("view",)
WRITE = ("view", "add", "change")

# (app_label, model) -> actions, per role. Business actions (forwarding, approving, blocking)
# are further checked by the services; these are the admin's model permissions.
ROLE_PERMISSIONS: dict[str, dict[tuple[str, str], tuple[str, ...]]] = {
    Role.ADMINISTRATOR: {
        ("municipality", "municipality"): ALL,
        ("municipality", "officehoursslot"): ALL,
        ("municipality", "closure"): ALL,
        ("municipality", "keyword"): ALL,
        ("municipality", "broadcastslot"): ALL,
        ("auth", "user"): ALL,
        ("auth", "group"): READ,
        ("moderation", "policycategory"): ALL,
        ("moderation", "screeningflag"): READ,
        ("moderation", "moderationcase"): READ,
        ("moderation", "moderationaction"): READ,
        ("moderation", "block"): READ,
        ("moderation", "evidencepackage"): READ,
        ("moderation", "lexiconentry"): ALL,
        ("moderation", "alloweddomain"): ALL,
        ("moderation", "moderationsettings"): ("view", "change"),
        ("tickets", "ticket"): WRITE,
        ("tickets", "message"): READ,
        ("tickets", "ticketevent"): READ,
        ("tickets", "forward"): READ,
        ("tickets", "municipalservice"): ALL,
        ("tickets", "cannedanswer"): ALL,
        ("tickets", "servicekeywordrule"): ALL,
        # Requests that belong elsewhere: the rules are theirs to edit, like the lexicon.
        ("tickets", "elsewhererule"): ALL,
        ("tickets", "satisfactionsurvey"): READ,
        # Names and date of birth may be corrected (art. 16); export (art. 15) and erasure
        # (art. 17) are theirs alone. The consent ledger and the audit: read, never written.
        ("subscribers", "subscriber"): ("view", "change", "export", "erase"),
        ("subscribers", "consentrecord"): READ,
        ("subscribers", "privacynotice"): READ,
        ("subscribers", "datasubjectrequest"): READ,
        # API tokens are revoked, never deleted (the admin offers no delete).
        ("accounts", "apitoken"): WRITE,
        # Sign-in security: who enrolled a second factor (a lost phone's device is removed, its
        # secret never shown), and the lockouts (deleting an attempt unlocks at once).
        ("otp_totp", "totpdevice"): ("view", "delete"),
        ("axes", "accessattempt"): ("view", "delete"),
        ("axes", "accesslog"): READ,
        ("axes", "accessfailurelog"): READ,
        # The gateway's rows are written by the gateway; "change" lets the admin reprocess an
        # event or retry a message through the services.
        ("gateway", "webhookevent"): ("view", "change"),
        ("gateway", "inboundmessage"): READ,
        ("gateway", "outboundmessage"): ("view", "change"),
        ("broadcasts", "messagetemplate"): (*ALL, "approve"),
        ("broadcasts", "campaign"): (*WRITE, "approve"),
        # Meta's rates for Italy, entered from Meta's rate card (README, "Prices").
        ("broadcasts", "ratecard"): ALL,
        # Custom permission of Campaign, declared under its codename's own "model" part.
        ("broadcasts", "emergency_alert"): ("send",),
        ("broadcasts", "campaignevent"): READ,
        ("broadcasts", "delivery"): READ,
        # The audit trail is read (and exported) only; the records of processing (art. 30).
        ("audit", "auditevent"): READ,
        ("audit", "processing_records"): ("view",),
    },
    Role.OPERATOR: {
        ("municipality", "municipality"): READ,
        ("tickets", "ticket"): WRITE,
        ("tickets", "message"): READ,
        ("tickets", "ticketevent"): READ,
        ("tickets", "forward"): READ,
        ("tickets", "municipalservice"): READ,
        ("tickets", "cannedanswer"): READ,
        ("tickets", "servicekeywordrule"): READ,
        ("tickets", "elsewhererule"): READ,
        ("tickets", "satisfactionsurvey"): READ,
        ("subscribers", "subscriber"): READ,
        ("subscribers", "consentrecord"): READ,
        ("subscribers", "privacynotice"): READ,
    },
    Role.COMMUNICATIONS: {
        ("municipality", "municipality"): READ,
        ("municipality", "broadcastslot"): WRITE,
        # Compose, schedule and send; templates are approved by administrators. The group also
        # approves campaigns and sends emergency alerts: remove these two from it where the comune
        # wants them held by named people only (the admin's two-person rule still applies).
        ("broadcasts", "messagetemplate"): WRITE,
        ("broadcasts", "campaign"): (*WRITE, "approve"),
        ("broadcasts", "emergency_alert"): ("send",),
        ("broadcasts", "ratecard"): READ,
        ("broadcasts", "campaignevent"): READ,
        ("broadcasts", "delivery"): READ,
        ("subscribers", "subscriber"): READ,
    },
    Role.MODERATOR: {
        ("moderation", "policycategory"): READ,
        # The queue, cases, blocks, audit and evidence are read here; acting goes through the
        # moderation services, which check the role (operators get 403).
        ("moderation", "screeningflag"): READ,
        ("moderation", "moderationcase"): READ,
        ("moderation", "moderationaction"): READ,
        ("moderation", "block"): READ,
        ("moderation", "evidencepackage"): READ,
        ("moderation", "lexiconentry"): ALL,
        ("moderation", "alloweddomain"): ALL,
        ("moderation", "moderationsettings"): ("view", "change"),
        ("subscribers", "subscriber"): READ,
    },
    Role.SERVICE: {
        # Only the tickets forwarded to their service: the selectors scope every list and page.
        ("tickets", "ticket"): READ,
    },
}


def declared_permissions(role: str) -> list[tuple[str, str]]:
    """(app_label, codename) pairs of a role."""
    pairs: list[tuple[str, str]] = []
    for (app_label, model), actions in ROLE_PERMISSIONS[role].items():
        pairs.extend((app_label, f"{action}_{model}") for action in actions)
    return pairs


def sync_role_permissions(**kwargs) -> None:
    for role, name in GROUP_NAMES.items():
        group, _created = Group.objects.get_or_create(name=name)
        wanted = declared_permissions(role)
        # One query per group: OR of (app label, codename) pairs; nothing declared, nothing granted.
        match = Q(pk__in=[])
        for app_label, codename in wanted:
            match |= Q(content_type__app_label=app_label, codename=codename)
        group.permissions.set(Permission.objects.filter(match))
    provider, _created = Group.objects.get_or_create(name=PROVIDER_GROUP_NAME)
    provider.permissions.clear()


def user_has_role(user, role: str) -> bool:
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    return user.groups.filter(name=GROUP_NAMES[role]).exists()
