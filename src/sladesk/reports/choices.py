"""Statuses and names of what reports count."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class MonthlyReportStatus(models.TextChoices):
    PENDING = "pending", _("Being built")
    MAILED = "mailed", _("Built and mailed")
    FAILED = "failed", _("Could not be built")


class Dimension(models.TextChoices):
    """What a report's tickets are broken down by."""

    TICKET_CLASS = "ticket_class", _("Class")
    SEVERITY = "severity", _("Severity")
    PRIORITY = "priority", _("Priority")
    LINE = "line", _("Line")
    CHANNEL = "channel", _("Channel")
