"""Releases of a service: the version that carries tickets (requests and defects) and the
notes its customers read when it ships."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from sladesk.releases.choices import ReleaseStatus, RequestPath


class Release(models.Model):
    """A version of a service, planned to a date and shipped once. Without an organisation
    it is for every customer of the service; with one it is a personal delivery under a
    separate agreement, seen by that organisation alone."""

    # Indexed as the first column of the unique version per service.
    service = models.ForeignKey(
        "accounts.Service",
        on_delete=models.PROTECT,
        related_name="releases",
        verbose_name=_("service"),
        db_index=False,
    )
    organisation = models.ForeignKey(
        "accounts.Organisation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="personal_releases",
        verbose_name=_("delivered personally to"),
    )
    version = models.CharField(_("version"), max_length=50)
    name = models.CharField(_("name"), max_length=200, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=ReleaseStatus.choices, default=ReleaseStatus.PLANNED
    )
    planned_on = models.DateField(_("planned for"))
    shipped_at = models.DateTimeField(_("shipped at"), null=True, blank=True)
    # Language code -> the notes in it (Markdown); read in the reader's language, else the
    # first there is.
    notes = models.JSONField(_("release notes"), default=dict, blank=True)
    resolve_on_ship = models.BooleanField(
        _("resolve the tickets it carries when shipped"), default=False
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    class Meta:
        ordering = ["planned_on", "id"]
        verbose_name = _("release")
        verbose_name_plural = _("releases")
        constraints = [
            models.UniqueConstraint(fields=["service", "version"], name="release_unique_version"),
        ]
        indexes = [models.Index(fields=["status", "planned_on"], name="release_status_date")]

    def __str__(self) -> str:
        return f"{self.service.name} {self.version}"

    def notes_in(self, language: str) -> str:
        """The notes in `language`, else in the desk's default, else the first written."""
        for code in (language, settings.LANGUAGE_CODE):
            if self.notes.get(code):
                return str(self.notes[code])
        return next((str(text) for text in self.notes.values() if text), "")


class RequestPlan(models.Model):
    """How a request for new functionality goes: on the product's roadmap (into a release)
    or under a separate agreement, and which first request of another organisation it is
    the same as."""

    ticket = models.OneToOneField(
        "tickets.Ticket",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="request_plan",
        verbose_name=_("ticket"),
    )
    # Empty until the support team chooses (a plan made by a link alone).
    path = models.CharField(_("path"), max_length=20, choices=RequestPath.choices, blank=True)
    agreement_reference = models.CharField(_("agreement"), max_length=100, blank=True)
    agreement_starts_on = models.DateField(_("agreed from"), null=True, blank=True)
    agreement_due_on = models.DateField(_("agreed to be delivered by"), null=True, blank=True)
    specification = models.ForeignKey(
        "tickets.Attachment",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("specification"),
    )
    same_as = models.ForeignKey(
        "tickets.Ticket",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="same_requests",
        verbose_name=_("the same request as"),
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    class Meta:
        verbose_name = _("request plan")
        verbose_name_plural = _("request plans")

    def __str__(self) -> str:
        return f"{self.ticket_id}: {self.path or '-'}"
