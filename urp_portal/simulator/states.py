from django.db import models
from django.utils.translation import gettext_lazy as _


class Direction(models.TextChoices):
    # Written by the citizen on the phone page (or simulate_citizen), posted to our webhook.
    IN = "in", _("dal cittadino")
    # Sent by the product through the fake Graph API.
    OUT = "out", _("al cittadino")


class SimulatedStatus(models.TextChoices):
    # IN: written, not yet taken by the product's webhook. OUT: accepted by the fake Graph API,
    # no status webhook posted yet.
    PENDING = "pending", _("in attesa")
    # OUT: the "sent" status webhook was posted.
    SENT = "sent", _("inviato")
    # IN: the product's webhook answered 2xx. OUT: the "delivered" status webhook was posted.
    DELIVERED = "delivered", _("consegnato")
    # OUT: the "read" status webhook was posted (the citizen "opened" the chat).
    READ = "read", _("letto")
    # IN: the product's webhook refused the body (4xx) or never answered after the retries.
    FAILED = "failed", _("non consegnato")


# The status webhooks a sent message goes through, in order.
OUTBOUND_STATUS_SEQUENCE = [SimulatedStatus.SENT, SimulatedStatus.DELIVERED, SimulatedStatus.READ]


class MediaOrigin(models.TextChoices):
    CITIZEN = "citizen", _("inviato dal cittadino")
    # Uploaded by the product with POST /{phone-number-id}/media.
    UPLOAD = "upload", _("caricato dal prodotto")
