from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from sladesk.sla.clocks import ClockKind, ClockState


class ResolutionStart(models.TextChoices):
    REGISTRATION = "registration", _("Registration")
    REPRODUCTION = "reproduction", _("Reproduction of the problem")


class SlaAction(models.TextChoices):
    NOTIFY_ASSIGNEE = "notify_assignee", _("Notify the assignee")
    NOTIFY_LINE_LEAD = "notify_line_lead", _("Notify the line lead")
    NOTIFY_SUPERVISORS = "notify_supervisors", _("Notify the supervisors")
    RAISE_PRIORITY = "raise_priority", _("Raise the priority")
    ESCALATE = "escalate", _("Escalate to the next line")
    RAISE_ATTENTION = "raise_attention", _("Raise to the line lead (needs attention)")


class Clock(models.TextChoices):
    RESPONSE = ClockKind.RESPONSE.value, _("First response")
    RESOLUTION = ClockKind.RESOLUTION.value, _("Resolution")
    UPDATE = ClockKind.UPDATE.value, _("Regular update")


class ClockStateLabel(models.TextChoices):
    PENDING = ClockState.PENDING.value, _("Not started")
    RUNNING = ClockState.RUNNING.value, _("Running")
    PAUSED = ClockState.PAUSED.value, _("Paused")
    MET = ClockState.MET.value, _("Met")
    BREACHED = ClockState.BREACHED.value, _("Breached")
    STOPPED = ClockState.STOPPED.value, _("Stopped")


class SlaEventKind(models.TextChoices):
    WARNING = "warning", _("Warning")
    BREACH = "breach", _("Breach")
    AUTO_CLOSED = "auto_closed", _("Closed for lack of an answer")
    CLOSE_REMINDER = "close_reminder", _("Told it closes by itself tomorrow")


class TicketSlaState(models.TextChoices):
    NONE = "", _("No SLA")
    OK = "ok", _("On track")
    AT_RISK = "at_risk", _("At risk")
    BREACHED = "breached", _("Breached")
    PAUSED = "paused", _("Paused")
    DONE = "done", _("Done")
