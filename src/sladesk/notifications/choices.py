from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class DeliveryChannel(models.TextChoices):
    """How a notification travels; each has a deliverer in `delivery.DELIVERERS`."""

    EMAIL = "email", _("E-mail")
    WEBHOOK = "webhook", _("Webhook")


class NotificationKind(models.TextChoices):
    ACKNOWLEDGEMENT = "acknowledgement", _("Acknowledgement")
    REPLY = "reply", _("Reply")
    STATUS = "status", _("Status change")
    SLA_WARNING = "sla_warning", _("SLA warning")
    SLA_BREACH = "sla_breach", _("SLA breach")
    ATTENTION = "attention", _("Needs the lead's attention")
    CONTRACT_WARNING = "contract_warning", _("Contract ends soon")
    WEBHOOK = "webhook", _("Webhook call")


class NotificationStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    SKIPPED = "skipped", _("Skipped")
