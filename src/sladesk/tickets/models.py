"""Classification schemes, tickets, their conversation, attachments and history."""

from __future__ import annotations

import functools
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from sladesk.sla.choices import TicketSlaState
from sladesk.tickets.choices import (
    OPEN_STATUSES,
    Channel,
    CommentKind,
    EventKind,
    ExternalCaseStatus,
    Level,
    Priority,
    ProposalStatus,
    Responsibility,
    TicketStatus,
)
from sladesk.tickets.notes import note_render


class ClassificationScheme(models.Model):
    """A configurable way of classifying tickets (request classes 1-6, categories A-E, ...)."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("classification scheme")
        verbose_name_plural = _("classification schemes")

    def __str__(self) -> str:
        return self.name


class TicketClass(models.Model):
    """One class (or category) of a scheme, with whose responsibility it is."""

    # Indexed as the first column of the unique code per scheme.
    scheme = models.ForeignKey(
        ClassificationScheme, on_delete=models.CASCADE, related_name="classes", db_index=False
    )
    code = models.CharField(_("code"), max_length=20)
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    responsibility = models.CharField(
        _("responsibility"),
        max_length=20,
        choices=Responsibility.choices,
        default=Responsibility.VENDOR,
    )
    default_priority = models.CharField(
        _("default priority"), max_length=20, choices=Priority.choices, default=Priority.MEDIUM
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["scheme", "position", "code"]
        verbose_name = _("ticket class")
        verbose_name_plural = _("ticket classes")
        constraints = [
            models.UniqueConstraint(fields=["scheme", "code"], name="ticket_class_unique_code"),
        ]

    def __str__(self) -> str:
        return f"{self.code}. {self.name}"


class Severity(models.Model):
    """A severity level within a class (e.g. C1 critical ... C4 not a product defect)."""

    # Indexed as the first column of the unique level per class.
    ticket_class = models.ForeignKey(
        TicketClass, on_delete=models.CASCADE, related_name="severities", db_index=False
    )
    level = models.PositiveSmallIntegerField(_("level"))
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    reclassify_to = models.ManyToManyField(
        TicketClass,
        blank=True,
        related_name="+",
        verbose_name=_("must be reclassified to"),
        help_text=_("A ticket at this severity must be reclassified to one of these classes."),
    )

    class Meta:
        ordering = ["ticket_class", "level"]
        verbose_name = _("severity")
        verbose_name_plural = _("severities")
        constraints = [
            models.UniqueConstraint(fields=["ticket_class", "level"], name="severity_unique_level"),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_class.code}{self.level}: {self.name}"


class PriorityMatrixCell(models.Model):
    """Priority for one impact x urgency pair of a scheme."""

    # Indexed as the first column of the unique cell per scheme.
    scheme = models.ForeignKey(
        ClassificationScheme,
        on_delete=models.CASCADE,
        related_name="priority_matrix",
        db_index=False,
    )
    impact = models.CharField(_("impact"), max_length=10, choices=Level.choices)
    urgency = models.CharField(_("urgency"), max_length=10, choices=Level.choices)
    priority = models.CharField(_("priority"), max_length=20, choices=Priority.choices)

    class Meta:
        verbose_name = _("priority matrix cell")
        verbose_name_plural = _("priority matrix")
        constraints = [
            models.UniqueConstraint(
                fields=["scheme", "impact", "urgency"], name="priority_matrix_unique_cell"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.impact} x {self.urgency} -> {self.priority}"


class TicketNumberSequence(models.Model):
    """The last number issued per prefix and year; its row lock serialises registrations."""

    prefix = models.CharField(max_length=10)
    year = models.PositiveSmallIntegerField()
    last_value = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["prefix", "year"], name="ticket_sequence_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.prefix}-{self.year}: {self.last_value}"


class Tag(models.Model):
    name = models.SlugField(_("name"), max_length=50, unique=True, allow_unicode=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("tag")
        verbose_name_plural = _("tags")

    def __str__(self) -> str:
        return self.name


@functools.cache
def _choice_labels(field: models.Field[Any, Any]) -> dict[Any, Any]:
    return dict(field.flatchoices)


class Ticket(models.Model):
    """A request, incident or question of a customer, with everything the desk owes it."""

    number = models.CharField(_("number"), max_length=30, unique=True)
    organisation = models.ForeignKey(
        "accounts.Organisation",
        on_delete=models.PROTECT,
        related_name="tickets",
        verbose_name=_("organisation"),
        db_index=False,  # ticket_org_status leads with it
    )
    contract = models.ForeignKey(
        "accounts.Contract",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tickets",
        verbose_name=_("contract"),
    )
    outside_contract = models.BooleanField(_("outside contract"), default=False)
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="requested_tickets",
        verbose_name=_("requester"),
    )
    contact = models.CharField(
        _("contact"),
        max_length=300,
        blank=True,
        help_text=_("How to reach the person who reported it, when not the requester's account."),
    )
    service = models.ForeignKey(
        "accounts.Service",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tickets",
        verbose_name=_("service"),
    )
    title = models.CharField(_("title"), max_length=300)
    description = models.TextField(_("description"), blank=True)
    ticket_class = models.ForeignKey(
        TicketClass,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tickets",
        verbose_name=_("class"),
    )
    severity = models.ForeignKey(
        Severity,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tickets",
        verbose_name=_("severity"),
    )
    impact = models.CharField(_("impact"), max_length=10, choices=Level.choices, blank=True)
    urgency = models.CharField(_("urgency"), max_length=10, choices=Level.choices, blank=True)
    priority = models.CharField(
        _("priority"), max_length=20, choices=Priority.choices, default=Priority.MEDIUM
    )
    status = models.CharField(
        _("status"), max_length=30, choices=TicketStatus.choices, default=TicketStatus.NEW
    )
    line = models.ForeignKey(
        "accounts.SupportLine",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tickets",
        verbose_name=_("support line"),
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assigned_tickets",
        verbose_name=_("assignee"),
        db_index=False,  # ticket_assignee_status leads with it
    )
    watchers = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="watched_tickets",
        verbose_name=_("watchers"),
    )
    tags = models.ManyToManyField(Tag, blank=True, related_name="tickets", verbose_name=_("tags"))
    parent = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("parent"),
    )
    release = models.ForeignKey(
        "releases.Release",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tickets",
        verbose_name=_("release"),
    )
    external_reference = models.CharField(
        _("external case"),
        max_length=200,
        blank=True,
        help_text=_("The case number at the external vendor (line 4)."),
    )
    # Hierarchical escalation: the ticket waits for its line's lead or a supervisor.
    attention_at = models.DateTimeField(_("attention asked at"), null=True, blank=True)
    attention_reason = models.TextField(_("attention asked because"), blank=True)
    registered_at = models.DateTimeField(_("registered at"))
    first_response_at = models.DateTimeField(_("first response at"), null=True, blank=True)
    reproduced_at = models.DateTimeField(_("reproduced at"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)
    # SLA state cached from the clocks (sla.services.ticket_sla_refresh); recomputable
    # from the events at any time (DESIGN.md invariant 4).
    sla_state = models.CharField(
        _("SLA state"), max_length=20, choices=TicketSlaState.choices, blank=True
    )
    sla_response_due_at = models.DateTimeField(_("first response due"), null=True, blank=True)
    sla_resolution_due_at = models.DateTimeField(_("resolution due"), null=True, blank=True)
    sla_next_due_at = models.DateTimeField(_("next deadline"), null=True, blank=True)
    sla_next_check_at = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        ordering = ["-registered_at"]
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        # Each index costs every insert and every update that moves it; none repeats the
        # leading columns of another (tests/core/test_indexes.py).
        indexes = [
            models.Index(fields=["organisation", "status"], name="ticket_org_status"),
            models.Index(fields=["status", "line"], name="ticket_status_line"),
            models.Index(fields=["assignee", "status"], name="ticket_assignee_status"),
            # The agent's queue counts, read from the index alone (see ticket_queue_counts).
            models.Index(
                fields=["status", "assignee", "line", "sla_state"],
                condition=Q(status__in=OPEN_STATUSES),
                name="ticket_open_queues",
            ),
            # Keyset pages in the two list orders: next deadline first, newest first.
            models.Index(fields=["sla_next_due_at", "id"], name="ticket_deadline_order"),
            models.Index(fields=["registered_at", "id"], name="ticket_registered_order"),
            models.Index(fields=["sla_state"], name="ticket_sla_state"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    def _get_FIELD_display(self, field: models.Field[Any, Any]) -> str:  # noqa: N802  # Django's name
        # Django rebuilds and hashes the field's whole choice list on every call, looking up
        # each label's translation; a queue page asks for some 150 labels.
        value = getattr(self, field.attname)
        return str(_choice_labels(field).get(value, value))


class Comment(models.Model):
    """A message in a ticket's conversation: a public reply, an internal note or a system line."""

    # comment_ticket_time leads with the ticket: no index of its own.
    ticket = models.ForeignKey(
        Ticket, on_delete=models.CASCADE, related_name="comments", db_index=False
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="comments",
    )
    kind = models.CharField(_("kind"), max_length=10, choices=CommentKind.choices)
    # A person's words, or for a desk note its English rendering (for search and for
    # readers that know no kinds, such as webhooks).
    body = models.TextField(_("text"))
    # A desk note's kind (`tickets.notes.NOTES`) and parameters, rendered when read; empty
    # for a person's words and for notes written before kinds.
    note = models.CharField(_("note"), max_length=40, blank=True)
    note_params = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("comment")
        verbose_name_plural = _("comments")
        indexes = [models.Index(fields=["ticket", "created_at"], name="comment_ticket_time")]

    def __str__(self) -> str:
        return f"{self.ticket_id}/{self.pk} ({self.kind})"

    @property
    def text(self) -> str:
        """What the comment says in the active language: a desk note rendered from its kind
        and parameters (the stored body if they no longer fit), else the body as written."""
        if not self.note:
            return self.body
        return note_render(self.note, self.note_params, fallback=self.body)


def attachment_path(instance: Attachment, filename: str) -> str:
    return f"attachments/{instance.ticket_id}/{instance.sha256[:2]}/{instance.sha256}"


class Attachment(models.Model):
    """A file of a ticket (or of one of its comments), kept in Django storage."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="attachments")
    comment = models.ForeignKey(
        Comment, on_delete=models.CASCADE, null=True, blank=True, related_name="attachments"
    )
    file = models.FileField(upload_to=attachment_path, max_length=300)
    filename = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveBigIntegerField(_("size"))
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.filename


class ChangeProposal(models.Model):
    """A reclassification, a priority change or an escalation to an external vendor (line 4)
    that the vendor proposes and the customer decides."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="proposals")
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    proposed_at = models.DateTimeField(default=timezone.now)
    ticket_class = models.ForeignKey(
        TicketClass, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    severity = models.ForeignKey(
        Severity, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    priority = models.CharField(max_length=20, choices=Priority.choices, blank=True)
    line = models.ForeignKey(
        "accounts.SupportLine",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("escalate to"),
    )
    reason = models.TextField(_("reason"))
    status = models.CharField(
        max_length=20, choices=ProposalStatus.choices, default=ProposalStatus.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_comment = models.TextField(blank=True)

    class Meta:
        ordering = ["-proposed_at"]
        verbose_name = _("change proposal")
        verbose_name_plural = _("change proposals")
        constraints = [
            models.UniqueConstraint(
                fields=["ticket"],
                condition=models.Q(status="pending"),
                name="proposal_one_pending_per_ticket",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id}: {self.status}"


class TicketEvent(models.Model):
    """One append-only history entry: who changed what on a ticket, from what to what."""

    # event_ticket_time leads with the ticket: no index of its own.
    ticket = models.ForeignKey(
        Ticket, on_delete=models.CASCADE, related_name="events", db_index=False
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)
    kind = models.CharField(max_length=30, choices=EventKind.choices)
    field = models.CharField(max_length=50, blank=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("ticket event")
        verbose_name_plural = _("ticket events")
        indexes = [models.Index(fields=["ticket", "at"], name="event_ticket_time")]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.kind} {self.field}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise ValueError("Ticket events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise ValueError("Ticket events are append-only.")


class ExternalCase(models.Model):
    """A case at an external vendor (line 4) that the desk follows for a ticket: who, their
    reference, where it stands and when to ask again. Each exchange is a note on the ticket."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="external_cases")
    vendor = models.CharField(_("vendor"), max_length=200)
    reference = models.CharField(_("their reference"), max_length=200, blank=True)
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=ExternalCaseStatus.choices,
        default=ExternalCaseStatus.OPEN,
    )
    follow_up_on = models.DateField(_("next follow-up"), null=True, blank=True)
    reminded_on = models.DateField(null=True, blank=True)  # the follow-up last reminded of
    opened_at = models.DateTimeField(_("opened at"), default=timezone.now)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    class Meta:
        ordering = ["opened_at", "id"]
        verbose_name = _("external case")
        verbose_name_plural = _("external cases")
        indexes = [models.Index(fields=["follow_up_on"], name="external_case_follow_up")]

    def __str__(self) -> str:
        return f"{self.vendor} {self.reference}".strip()

    @property
    def is_open(self) -> bool:
        return self.status not in (ExternalCaseStatus.FIXED, ExternalCaseStatus.CLOSED)


class LineRotation(models.Model):
    """Whom a line's round robin gave an escalated ticket last. Kept apart from the line,
    whose table the configuration cache tracks: a pick must not void every process's cache."""

    line = models.OneToOneField(
        "accounts.SupportLine", on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    last_assigned = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    def __str__(self) -> str:
        return f"{self.line_id}: {self.last_assigned_id}"
