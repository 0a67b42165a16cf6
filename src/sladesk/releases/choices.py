from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class ReleaseStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    IN_DEVELOPMENT = "in_development", _("In development")
    TESTING = "testing", _("Testing")
    RELEASED = "released", _("Released")
    CANCELLED = "cancelled", _("Cancelled")


# A release in one of these takes no more tickets and changes no more (but its notes).
FINAL_STATUSES = frozenset({ReleaseStatus.RELEASED, ReleaseStatus.CANCELLED})
# What an edit may set: a release is released only by shipping it.
SETTABLE_STATUSES = frozenset(
    {
        ReleaseStatus.PLANNED,
        ReleaseStatus.IN_DEVELOPMENT,
        ReleaseStatus.TESTING,
        ReleaseStatus.CANCELLED,
    }
)


class RequestPath(models.TextChoices):
    """The two ways a request for new functionality (class E) can go."""

    ROADMAP = "roadmap", _("On the product's roadmap")
    AGREEMENT = "agreement", _("Under a separate agreement")


# The classes whose tickets are requests for new functionality (the categories A-E).
REQUEST_CLASS_CODES = frozenset({"E"})
# The classes whose tickets are defects of the product, which releases fix.
DEFECT_CLASS_CODES = frozenset({"C"})
