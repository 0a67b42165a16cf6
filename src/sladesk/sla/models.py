"""Business calendars, SLA policies with their target rows, and SLA events of tickets."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from sladesk.sla.calendar import BusinessCalendar, CalendarError
from sladesk.sla.choices import Clock, ResolutionStart, SlaEventKind


def default_pause_statuses() -> list[str]:
    return ["waiting_for_customer"]


def default_warning_percents() -> list[int]:
    return [50, 80]


def default_warning_actions() -> list[str]:
    return ["notify_assignee"]


def default_breach_actions() -> list[str]:
    return ["notify_assignee", "notify_line_lead"]


class Calendar(models.Model):
    """Hours of service as data: a `BusinessCalendar` spec (zone, week, holidays, country)."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    spec = models.JSONField(_("specification"))

    class Meta:
        ordering = ["name"]
        verbose_name = _("business calendar")
        verbose_name_plural = _("business calendars")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        try:
            BusinessCalendar.from_spec(self.spec)
        except (CalendarError, TypeError, KeyError) as error:
            raise ValidationError({"spec": str(error)}) from error

    def engine(self) -> BusinessCalendar:
        return calendar_engine(self.spec)


_ENGINES: dict[str, BusinessCalendar] = {}


def calendar_engine(spec: dict[str, Any]) -> BusinessCalendar:
    """One engine per distinct spec per process: its lazily built index is reused."""
    import json

    key = json.dumps(spec, sort_keys=True)
    engine = _ENGINES.get(key)
    if engine is None:
        engine = _ENGINES[key] = BusinessCalendar.from_spec(spec)
    return engine


class SlaPolicy(models.Model):
    """What a contract promises: a calendar, target rows and what to do when at risk."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    calendar = models.ForeignKey(Calendar, on_delete=models.PROTECT, related_name="policies")
    pause_statuses = models.JSONField(
        _("statuses that pause the clock"), default=default_pause_statuses
    )
    warning_percents = models.JSONField(
        _("warning thresholds (%)"), default=default_warning_percents
    )
    warning_actions = models.JSONField(_("at a warning"), default=default_warning_actions)
    breach_actions = models.JSONField(_("at a breach"), default=default_breach_actions)
    auto_close_working_days = models.PositiveSmallIntegerField(
        _("close after silence (working days)"),
        null=True,
        blank=True,
        help_text=_("A ticket waiting this many working days for the customer closes as solved."),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")

    def __str__(self) -> str:
        return self.name


class SlaTarget(models.Model):
    """One row of a policy: matched by class, severity and priority (most specific wins).

    The row with none of the three is the policy's default: it clocks a ticket until it is
    classified (`sla_policy_ensure_default` gives every policy one)."""

    policy = models.ForeignKey(SlaPolicy, on_delete=models.CASCADE, related_name="targets")
    ticket_class = models.ForeignKey(
        "tickets.TicketClass",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("class"),
    )
    severity = models.ForeignKey(
        "tickets.Severity",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("severity"),
    )
    priority = models.CharField(_("priority"), max_length=20, blank=True)
    response_budget = models.DurationField(
        _("first response within (business time)"), null=True, blank=True
    )
    response_cutoff = models.TimeField(
        _("first response by end of day if registered before"),
        null=True,
        blank=True,
        help_text=_("Same working day if registered before this time, else the next working day."),
    )
    resolution_budget = models.DurationField(
        _("resolution within (business time)"), null=True, blank=True
    )
    resolution_starts = models.CharField(
        _("resolution counted from"),
        max_length=20,
        choices=ResolutionStart.choices,
        default=ResolutionStart.REGISTRATION,
    )
    update_interval = models.DurationField(_("update at least every"), null=True, blank=True)
    breach_note = models.CharField(
        _("at a resolution breach, ask the lead to"),
        max_length=300,
        blank=True,
        help_text=_("Raises the ticket to the line lead with this note (e.g. seek a replacement)."),
    )

    class Meta:
        ordering = ["policy", "id"]
        verbose_name = _("SLA target")
        verbose_name_plural = _("SLA targets")

    def __str__(self) -> str:
        if self.is_default:
            return str(_("Default: until classified, and classes without a row"))
        parts = [
            str(self.ticket_class or "*"),
            str(self.severity.level if self.severity else "*"),
            self.priority or "*",
        ]
        return " / ".join(parts)

    def clean(self) -> None:
        if self.response_budget is not None and self.response_cutoff is not None:
            raise ValidationError(_("Give either a response time or a cut-off, not both."))
        if self.severity is not None and self.severity.ticket_class_id != self.ticket_class_id:
            raise ValidationError(_("The severity must belong to the class."))

    @property
    def is_default(self) -> bool:
        """The row for tickets no other row matches: those not classified yet, above all."""
        return self.ticket_class_id is None and self.severity_id is None and not self.priority

    @property
    def specificity(self) -> int:
        return sum(bool(value) for value in (self.ticket_class_id, self.severity_id, self.priority))


def default_target_fields(rows: Iterable[Any]) -> dict[str, Any]:
    """What a policy's default row promises when nobody set one: the strictest reaction of
    its rows (a cut-off if any row has one, else the shortest response time) and no
    resolution target, since an unclassified ticket may be the worst kind."""
    rows = list(rows)
    cutoffs = sorted(row.response_cutoff for row in rows if row.response_cutoff is not None)
    if cutoffs:
        return {"response_cutoff": cutoffs[0], "response_budget": None}
    budgets = [row.response_budget for row in rows if row.response_budget is not None]
    return {"response_cutoff": None, "response_budget": min(budgets, default=None)}


class SlaEvent(models.Model):
    """Something the SLA sweep did to a ticket; warnings and breaches happen once each."""

    # Indexed as the first column of the unique event per clock and threshold.
    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.CASCADE, related_name="sla_events", db_index=False
    )
    clock = models.CharField(max_length=20, choices=Clock.choices, blank=True)
    kind = models.CharField(max_length=20, choices=SlaEventKind.choices)
    threshold = models.PositiveSmallIntegerField(default=0)
    # The update clock starts a new cycle with every vendor update; each cycle is owed once.
    cycle = models.PositiveIntegerField(default=0)
    due_at = models.DateTimeField(null=True, blank=True)
    at = models.DateTimeField(default=timezone.now)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("SLA event")
        verbose_name_plural = _("SLA events")
        constraints = [
            models.UniqueConstraint(
                fields=["ticket", "clock", "kind", "threshold", "cycle"], name="sla_event_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.clock} {self.kind} {self.threshold}"
