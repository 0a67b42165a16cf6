"""Outbound webhook subscriptions: who wants which events, signed with which secret."""

from __future__ import annotations

import secrets

from django.core.validators import URLValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class WebhookEvent(models.TextChoices):
    TICKET_CREATED = "ticket.created", _("Ticket created")
    TICKET_UPDATED = "ticket.updated", _("Ticket updated")
    TICKET_COMMENTED = "ticket.commented", _("Public reply added")
    SLA_WARNING = "sla.warning", _("SLA warning")
    SLA_BREACH = "sla.breach", _("SLA breach")
    ARTICLE_CREATED = "article.created", _("Knowledge article created")
    ARTICLE_UPDATED = "article.updated", _("Knowledge article changed")
    RELEASE_UPDATED = "release.updated", _("Release planned or changed")
    RELEASE_SHIPPED = "release.shipped", _("Release shipped")


def new_secret() -> str:
    return secrets.token_urlsafe(32)


class WebhookSubscription(models.Model):
    """An endpoint that receives JSON for the chosen events, optionally of one customer."""

    name = models.CharField(_("name"), max_length=200)
    url = models.URLField(
        _("URL"), max_length=1000, validators=[URLValidator(schemes=["http", "https"])]
    )
    secret = models.CharField(_("signing secret"), max_length=100, default=new_secret)
    events = models.JSONField(_("events"), default=list)
    organisation = models.ForeignKey(
        "accounts.Organisation",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="webhooks",
        verbose_name=_("only for this organisation"),
    )
    allow_private = models.BooleanField(
        _("allow private addresses"),
        default=False,
        help_text=_("Let this endpoint be on a loopback or private network address."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        ordering = ["name"]
        verbose_name = _("webhook subscription")
        verbose_name_plural = _("webhook subscriptions")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        unknown = set(self.events) - set(WebhookEvent.values)
        if unknown or not self.events:
            raise ValidationError(
                {
                    "events": _("Choose events among: %(known)s.")
                    % {"known": ", ".join(WebhookEvent.values)}
                }
            )
