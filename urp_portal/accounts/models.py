from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from urp_portal.municipality.scope import (
    AllComuniManager,
    ComuneScopedManager,
    comune_owner_field,
)

from .roles import Role


class ApiToken(models.Model):
    """A key with which one of the comune's other systems calls the API, bound to one role (and to
    one municipal service for a service's own case system). Only the key's SHA-256 is stored: the
    clear key is shown once, when the token is created."""

    name = models.CharField(_("nome"), max_length=100, help_text=_("Il sistema che lo usa."))
    role = models.CharField(_("ruolo"), max_length=20, choices=Role.choices)
    # The municipal service a service token acts for; its slug, as the API names services.
    service_slug = models.SlugField(_("servizio comunale"), max_length=100, blank=True)
    # The comune it acts for, on a deployment serving several (create_api_token --comune).
    # Empty: the deployment's active comune, as with one comune.
    comune = comune_owner_field()
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    # The first characters of the key, so a person can tell which token a system holds.
    prefix = models.CharField(_("prefisso"), max_length=16, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("creato da"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("creato il"), auto_now_add=True)
    # Updated at most once a minute: a write per request would cost more than it tells.
    last_used_at = models.DateTimeField(_("ultimo uso"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revocato il"), null=True, blank=True)

    objects = ComuneScopedManager()
    # The authentication finds a key among every comune's (it then scopes the request).
    all_comuni = AllComuniManager()

    class Meta:
        verbose_name = _("token API")
        verbose_name_plural = _("token API")
        ordering = ["-created_at"]
        constraints = [
            # A service token without its service would see every service's tickets, and a
            # service on another role's token would mean nothing.
            models.CheckConstraint(
                condition=(
                    models.Q(role=Role.SERVICE) & ~models.Q(service_slug="")
                    | ~models.Q(role=Role.SERVICE) & models.Q(service_slug="")
                ),
                name="api_token_service_iff_service_role",
                violation_error_message=_(
                    "Il servizio comunale va indicato per i token del ruolo «servizio», e solo "
                    "per quelli."
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class StaffMembership(models.Model):
    """A console account's comune, on a deployment serving several: the staff of a comune belong
    to it alone; a provider's help desk belongs to several and picks one per session. An account
    with no membership works for the deployment's active comune, as with one comune. Its roles
    stay its groups: what it may do is the same in each of its comuni."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account"),
        on_delete=models.CASCADE,
        related_name="comune_memberships",
    )
    comune = models.ForeignKey(
        "municipality.Municipality",
        verbose_name=_("comune"),
        on_delete=models.CASCADE,
        related_name="staff_memberships",
    )
    created_at = models.DateTimeField(_("dal"), auto_now_add=True)

    class Meta:
        verbose_name = _("appartenenza a un comune")
        verbose_name_plural = _("appartenenze ai comuni")
        constraints = [
            models.UniqueConstraint(fields=["user", "comune"], name="staff_membership_once"),
        ]

    def __str__(self) -> str:
        return f"{self.user} → {self.comune}"
