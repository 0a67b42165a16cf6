from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from sladesk.tickets import lifecycle


class TicketStatus(models.TextChoices):
    NEW = lifecycle.Status.NEW.value, _("New")
    IN_PROGRESS = lifecycle.Status.IN_PROGRESS.value, _("In progress")
    WAITING_FOR_CUSTOMER = lifecycle.Status.WAITING_FOR_CUSTOMER.value, _("Waiting for customer")
    RESOLVED = lifecycle.Status.RESOLVED.value, _("Resolved")
    CLOSED = lifecycle.Status.CLOSED.value, _("Closed")
    CANCELLED = lifecycle.Status.CANCELLED.value, _("Cancelled")


# Sorted: a frozenset's order changes between processes, and the queue-count index's
# condition (a migration) must not.
OPEN_STATUSES = sorted(status.value for status in lifecycle.OPEN_STATUSES)


class Channel(models.TextChoices):
    PORTAL = "portal", _("Customer portal")
    EMAIL = "email", _("E-mail")
    PHONE = "phone", _("Phone")
    CHAT = "chat", _("Chat")
    API = "api", _("API")
    MONITORING = "monitoring", _("Monitoring")


class Responsibility(models.TextChoices):
    VENDOR = "vendor", _("Vendor")
    CUSTOMER = "customer", _("Customer (the vendor advises)")


class Priority(models.TextChoices):
    CRITICAL = "critical", _("Critical")
    HIGH = "high", _("High")
    MEDIUM = "medium", _("Medium")
    LOW = "low", _("Low")


class Level(models.TextChoices):
    """Impact on the business and users, or urgency."""

    HIGH = "high", _("High")
    MEDIUM = "medium", _("Medium")
    LOW = "low", _("Low")


class CommentKind(models.TextChoices):
    PUBLIC = "public", _("Public reply")
    INTERNAL = "internal", _("Internal note")
    SYSTEM = "system", _("System")


class ProposalStatus(models.TextChoices):
    PENDING = "pending", _("Awaiting the customer")
    ACCEPTED = "accepted", _("Accepted")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class EventKind(models.TextChoices):
    REGISTERED = "registered", _("Registered")
    STATUS_CHANGED = "status_changed", _("Status changed")
    CLASSIFIED = "classified", _("Classified")
    FIELD_CHANGED = "field_changed", _("Field changed")
    ASSIGNED = "assigned", _("Assigned")
    ESCALATED = "escalated", _("Escalated")
    COMMENTED = "commented", _("Commented")
    ATTACHMENT_ADDED = "attachment_added", _("Attachment added")
    REPRODUCED = "reproduced", _("Reproduced")
    PROPOSAL_MADE = "proposal_made", _("Change proposed")
    PROPOSAL_ACCEPTED = "proposal_accepted", _("Change accepted")
    PROPOSAL_REJECTED = "proposal_rejected", _("Change rejected")
    WATCHER_ADDED = "watcher_added", _("Watcher added")
    WATCHER_REMOVED = "watcher_removed", _("Watcher removed")
    SLA_DUE_CHANGED = "sla_due_changed", _("SLA due time changed")
    AUTO_CLOSED = "auto_closed", _("Closed automatically")
    PROBLEM_LINKED = "problem_linked", _("Linked to a problem")
    PROBLEM_UNLINKED = "problem_unlinked", _("Unlinked from a problem")
    ATTENTION_RAISED = "attention_raised", _("Raised to the lead")
    ATTENTION_CLEARED = "attention_cleared", _("Lead's attention given")
    EXTERNAL_CASE_OPENED = "external_case_opened", _("External case opened")
    EXTERNAL_CASE_UPDATED = "external_case_updated", _("External case updated")
    ARTICLE_LINKED = "article_linked", _("Knowledge article linked")
    RELEASE_PLANNED = "release_planned", _("Planned for a release")
    RELEASE_UNPLANNED = "release_unplanned", _("Taken out of a release")
    RELEASE_DATE_CHANGED = "release_date_changed", _("Release date changed")
    RELEASE_SHIPPED = "release_shipped", _("Release shipped")
    REQUEST_PATH_CHOSEN = "request_path_chosen", _("Request's path chosen")
    REQUEST_LINKED = "request_linked", _("Linked to the same request")


class ExternalCaseStatus(models.TextChoices):
    OPEN = "open", _("Opened with the vendor")
    WAITING_VENDOR = "waiting_vendor", _("Waiting for the vendor")
    WAITING_DESK = "waiting_desk", _("The vendor waits for us")
    FIXED = "fixed", _("Fixed by the vendor")
    CLOSED = "closed", _("Closed")
