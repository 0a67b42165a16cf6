"""Problems: the unknown cause of one or more incidents, and their links."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from sladesk.problems.choices import ProblemEventKind, ProblemStatus


class Problem(models.Model):
    """The cause behind incidents: analysed, worked around (known error), fixed, closed."""

    number = models.CharField(_("number"), max_length=32, unique=True)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=ProblemStatus.choices, default=ProblemStatus.REGISTERED
    )
    service = models.ForeignKey(
        "accounts.Service",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="problems",
        verbose_name=_("service"),
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="owned_problems",
        verbose_name=_("owner"),
    )
    # The release whose version carries the fix, once it is planned.
    release = models.ForeignKey(
        "releases.Release",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="problems",
        verbose_name=_("fixed in release"),
    )
    root_cause = models.TextField(_("root cause"), blank=True)
    workaround = models.TextField(_("workaround"), blank=True)
    fix = models.TextField(_("permanent fix"), blank=True)
    closing_note = models.TextField(_("closing note"), blank=True)
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    registered_at = models.DateTimeField(_("registered at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)
    known_error_at = models.DateTimeField(_("known error since"), null=True, blank=True)
    fixed_at = models.DateTimeField(_("fixed at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        ordering = ["-registered_at", "-id"]
        verbose_name = _("problem")
        verbose_name_plural = _("problems")
        indexes = [models.Index(fields=["status", "registered_at"], name="problem_status_time")]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"


class ProblemLink(models.Model):
    """An incident caused by the problem."""

    # Indexed as the first column of the unique link.
    problem = models.ForeignKey(
        Problem, on_delete=models.CASCADE, related_name="links", db_index=False
    )
    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.CASCADE, related_name="problem_links"
    )
    linked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    linked_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["problem", "ticket"], name="problem_link_once")
        ]

    def __str__(self) -> str:
        return f"{self.problem_id} ~ {self.ticket_id}"


class ProblemEvent(models.Model):
    """One change to a problem (append-only): who, when, what, before and after."""

    # Indexed as the first column of `problem_event_time`.
    problem = models.ForeignKey(
        Problem, on_delete=models.CASCADE, related_name="events", db_index=False
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    kind = models.CharField(max_length=30, choices=ProblemEventKind.choices)
    field = models.CharField(max_length=50, blank=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["problem", "created_at"], name="problem_event_time")]

    def __str__(self) -> str:
        return f"{self.problem_id} {self.kind}"
