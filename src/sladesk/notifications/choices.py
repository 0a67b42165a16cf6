from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class DeliveryChannel(models.TextChoices):
    """How a notification travels; each has a deliverer in `delivery.DELIVERERS`."""

    DESK = "desk", _("In the desk")
    EMAIL = "email", _("E-mail")
    CHAT = "chat", _("Chat")
    WEBHOOK = "webhook", _("Webhook")


# The channels a person chooses for themselves (webhooks belong to integrations).
PERSONAL_CHANNELS = (DeliveryChannel.DESK, DeliveryChannel.EMAIL, DeliveryChannel.CHAT)


class NotificationKind(models.TextChoices):
    """What a notification tells; `rules.RULES` says who hears of each."""

    ACKNOWLEDGEMENT = "acknowledgement", _("Ticket registered")
    REPLY = "reply", _("Public reply")
    NOTE = "note", _("Internal note")
    INFO_REQUESTED = "info_requested", _("Information needed")
    INFO_PROVIDED = "info_provided", _("Information provided")
    CLASSIFIED = "classified", _("Classified")
    PROPOSAL = "proposal", _("Change proposed for your decision")
    PROPOSAL_DECIDED = "proposal_decided", _("Proposed change decided")
    ESCALATED = "escalated", _("Escalated to another line")
    ATTENTION = "attention", _("Needs the lead's attention")
    EXTERNAL_CASE = "external_case", _("External case updated")
    REPRODUCED = "reproduced", _("Reproduced")
    ASSIGNED = "assigned", _("Assigned")
    STATUS = "status", _("Status change")
    RESOLVED = "resolved", _("Resolved")
    REOPENED = "reopened", _("Reopened")
    RELEASE = "release", _("Release planned, moved or shipped")
    CLOSES_TOMORROW = "closes_tomorrow", _("Closes by itself tomorrow")
    AUTO_CLOSED = "auto_closed", _("Closed automatically")
    SLA_WARNING = "sla_warning", _("SLA warning")
    SLA_BREACH = "sla_breach", _("SLA breach")
    CONTRACT_WARNING = "contract_warning", _("Contract ends soon")
    MONTHLY_REPORT = "monthly_report", _("Monthly service report")
    PASSWORD_RESET = "password_reset", _("Password reset")
    DIGEST = "digest", _("Digest")
    WEBHOOK = "webhook", _("Webhook call")


class DeliveryMode(models.TextChoices):
    """When a person hears of a kind on a channel."""

    IMMEDIATE = "immediate", _("At once")
    HOURLY = "hourly", _("Hourly digest")
    DAILY = "daily", _("Daily digest")
    OFF = "off", _("Never")


class NotificationStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENDING = "sending", _("Sending")
    HELD = "held", _("Held for the digest")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    SKIPPED = "skipped", _("Skipped")
