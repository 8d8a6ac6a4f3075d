from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils.translation import gettext_lazy as _


class IdempotencyRecord(models.Model):
    """A write done under an `Idempotency-Key`: a retry with the same key gets the stored answer
    and does nothing again. Written in the same transaction as the write it records."""

    # Exactly one of the two: the system (token) or the console user who made the request.
    token = models.ForeignKey(
        "accounts.ApiToken", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    key = models.CharField(max_length=255)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=500)
    # SHA-256 of the request body: the same key with another body is a client's mistake (422).
    body_hash = models.CharField(max_length=64)
    response_status = models.PositiveSmallIntegerField()
    response_body = models.JSONField(encoder=DjangoJSONEncoder, null=True, blank=True)
    response_headers = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("richiesta idempotente")
        verbose_name_plural = _("richieste idempotenti")
        constraints = [
            models.UniqueConstraint(
                fields=["token", "key"],
                condition=models.Q(token__isnull=False),
                name="idempotency_unique_token_key",
            ),
            models.UniqueConstraint(
                fields=["user", "key"],
                condition=models.Q(user__isnull=False),
                name="idempotency_unique_user_key",
            ),
            models.CheckConstraint(
                condition=models.Q(token__isnull=False, user__isnull=True)
                | models.Q(token__isnull=True, user__isnull=False),
                name="idempotency_one_principal",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.method} {self.path} [{self.key}]"
