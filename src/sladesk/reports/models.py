"""What reports count: one row of figures per ticket, kept by the worker as tickets change,
and the monthly reports built for each contract."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from sladesk.reports.choices import MonthlyReportStatus


def _reference(model: str) -> models.ForeignKey:
    """A key the figures group by, without a constraint or an index of its own: a figure row
    is derived data, rebuilt from the ticket, and must never hold up a change elsewhere."""
    return models.ForeignKey(
        model,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        null=True,
        blank=True,
        related_name="+",
    )


class TicketFigures(models.Model):
    """A ticket as the reports count it: its classification, its line, the outcome of its
    response and resolution clocks (business time, pauses and cut-off included), reopenings
    and escalation. Derived from the ticket's events and policy (`reports.facts`), so it can
    always be rebuilt; the reports read these rows, never the tickets' histories."""

    ticket = models.OneToOneField(
        "tickets.Ticket", on_delete=models.CASCADE, primary_key=True, related_name="figures"
    )
    contract = _reference("accounts.Contract")
    organisation = _reference("accounts.Organisation")
    number = models.CharField(max_length=30)
    title = models.CharField(max_length=300)
    registered_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)
    # When the ticket last stopped being worked on (resolved, closed or cancelled); None
    # while it is open: the backlog at an instant is what was registered and not ended.
    ended_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=30)
    channel = models.CharField(max_length=20)
    ticket_class = _reference("tickets.TicketClass")
    severity = _reference("tickets.Severity")
    priority = models.CharField(max_length=20, blank=True)
    line = _reference("accounts.SupportLine")
    service = _reference("accounts.Service")
    target = _reference("sla.SlaTarget")
    response_state = models.CharField(max_length=20, blank=True)
    response_due_at = models.DateTimeField(null=True, blank=True)
    response_met_at = models.DateTimeField(null=True, blank=True)
    response_seconds = models.PositiveIntegerField(null=True, blank=True)  # business time
    resolution_state = models.CharField(max_length=20, blank=True)
    resolution_due_at = models.DateTimeField(null=True, blank=True)
    resolution_met_at = models.DateTimeField(null=True, blank=True)
    resolution_seconds = models.PositiveIntegerField(null=True, blank=True)
    reopened = models.PositiveSmallIntegerField(default=0)
    escalated = models.BooleanField(default=False)
    first_line = models.BooleanField(default=False)  # resolved on line 0-1, never escalated
    with_article = models.BooleanField(default=False)
    refreshed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("ticket figures")
        verbose_name_plural = _("ticket figures")
        indexes = [
            models.Index(fields=["contract", "registered_at"], name="figures_contract_registered"),
            models.Index(fields=["contract", "resolved_at"], name="figures_contract_resolved"),
            models.Index(fields=["contract", "ended_at"], name="figures_contract_ended"),
            models.Index(fields=["registered_at"], name="figures_registered"),
            models.Index(fields=["resolved_at"], name="figures_resolved"),
        ]

    def __str__(self) -> str:
        return self.number


class StaleTicket(models.Model):
    """A ticket changed since its figures were computed: written in the transaction of the
    change, removed by the worker once the figures are rebuilt (nothing is missed)."""

    ticket = models.OneToOneField(
        "tickets.Ticket", on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    marked_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("ticket to recount")
        verbose_name_plural = _("tickets to recount")

    def __str__(self) -> str:
        return str(self.ticket_id)


class MonthlyReport(models.Model):
    """A contract's report for one calendar month, built once on the month's first working
    day, kept with its figures and PDF per language and mailed once."""

    contract = models.ForeignKey(
        "accounts.Contract",
        on_delete=models.CASCADE,
        related_name="monthly_reports",
        db_index=False,  # the unique (contract, period) leads with it
        verbose_name=_("contract"),
    )
    period = models.CharField(_("period"), max_length=7)  # YYYY-MM
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=MonthlyReportStatus.choices,
        default=MonthlyReportStatus.PENDING,
    )
    figures = models.JSONField(_("figures"), default=dict, blank=True)
    files = models.JSONField(_("files"), default=dict, blank=True)  # language -> storage name
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    built_at = models.DateTimeField(_("built at"), null=True, blank=True)
    mailed_at = models.DateTimeField(_("mailed at"), null=True, blank=True)

    class Meta:
        ordering = ["-period", "contract_id"]
        verbose_name = _("monthly report")
        verbose_name_plural = _("monthly reports")
        constraints = [
            models.UniqueConstraint(fields=["contract", "period"], name="monthly_report_once"),
        ]

    def __str__(self) -> str:
        return f"{self.contract_id} {self.period}"
