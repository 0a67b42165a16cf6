from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class ProblemStatus(models.TextChoices):
    REGISTERED = "registered", _("Registered")
    ANALYSING = "analysing", _("Analysing the cause")
    KNOWN_ERROR = "known_error", _("Known error (workaround)")
    FIXED = "fixed", _("Fixed")
    CLOSED = "closed", _("Closed")


class ProblemEventKind(models.TextChoices):
    REGISTERED = "registered", _("Registered")
    STATUS_CHANGED = "status_changed", _("Status changed")
    FIELD_CHANGED = "field_changed", _("Field changed")
    INCIDENT_LINKED = "incident_linked", _("Incident linked")
    INCIDENT_UNLINKED = "incident_unlinked", _("Incident unlinked")
