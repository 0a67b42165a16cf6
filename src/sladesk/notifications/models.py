"""The outbox (one row per event, recipient and channel), the people's preferences and their
chat targets."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from sladesk.accounts.choices import Role
from sladesk.notifications.choices import (
    PERSONAL_CHANNELS,
    DeliveryChannel,
    DeliveryMode,
    NotificationKind,
    NotificationStatus,
)


class Notification(models.Model):
    """A message the desk owes someone because of one event, written in the transaction of
    the change that caused it and delivered by a task; the unique key makes it once."""

    channel = models.CharField(_("channel"), max_length=20, choices=DeliveryChannel.choices)
    kind = models.CharField(_("kind"), max_length=30, choices=NotificationKind.choices)
    # What caused it: "ticket-event:<id>" or "sla-event:<id>"; with recipient and channel
    # the key of at-most-one delivery per event.
    event_key = models.CharField(_("event"), max_length=100)
    # An e-mail address, "chat:<ChatTarget id>", "desk:<user id>" or a webhook's URL key.
    recipient = models.CharField(_("recipient"), max_length=320)
    # The person it is for (none for webhooks and for senders without an account).
    user = models.ForeignKey(
        "accounts.User",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
        verbose_name=_("person"),
    )
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    # The digest row that carried this one (status SENT once it is written).
    digest = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="items"
    )
    language = models.CharField(_("language"), max_length=10, default="en")
    ticket = models.ForeignKey(
        "tickets.Ticket",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
    )
    comment = models.ForeignKey(
        "tickets.Comment", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    automatic = models.BooleanField(
        _("automatic"),
        default=True,
        help_text=_("Sent by the desk itself (Auto-Submitted: auto-generated)."),
    )
    message_id = models.CharField(_("Message-ID"), max_length=255, unique=True)
    in_reply_to = models.CharField(max_length=1000, blank=True)
    references = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)
    subject = models.CharField(_("subject"), max_length=500, blank=True)
    body = models.TextField(_("body"), blank=True)
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=NotificationStatus.choices,
        default=NotificationStatus.PENDING,
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"), default=timezone.now)
    claimed_until = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    bounced_at = models.DateTimeField(_("bounced at"), null=True, blank=True)
    bounce_reason = models.TextField(_("bounce"), blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        constraints = [
            models.UniqueConstraint(
                fields=["event_key", "recipient", "channel"], name="notification_once_per_event"
            ),
        ]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="notification_due"),
            models.Index(fields=["recipient", "kind", "created_at"], name="notification_recent"),
            models.Index(
                fields=["user", "channel", "read_at"],
                name="notification_unread",
                condition=models.Q(channel="desk"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} to {self.recipient} ({self.status})"


_CHANNEL_CHOICES = [(channel.value, channel.label) for channel in PERSONAL_CHANNELS]


class NotificationPreference(models.Model):
    """A person's choice of when they hear of one kind on one channel (default: their role's
    `NotificationDefault`, else `rules.DEFAULT_MODE`)."""

    # Indexed as the first column of the unique choice per kind and channel.
    user = models.ForeignKey(
        "accounts.User",
        on_delete=models.CASCADE,
        related_name="notification_preferences",
        db_index=False,
    )
    kind = models.CharField(_("kind"), max_length=30, choices=NotificationKind.choices)
    channel = models.CharField(_("channel"), max_length=20, choices=_CHANNEL_CHOICES)
    mode = models.CharField(_("when"), max_length=20, choices=DeliveryMode.choices)

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "kind", "channel"], name="notification_preference_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.kind}/{self.channel} {self.mode}"


class NotificationDefault(models.Model):
    """An administrator's default of when people of one role hear of one kind on one channel."""

    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    kind = models.CharField(_("kind"), max_length=30, choices=NotificationKind.choices)
    channel = models.CharField(_("channel"), max_length=20, choices=_CHANNEL_CHOICES)
    mode = models.CharField(_("when"), max_length=20, choices=DeliveryMode.choices)

    class Meta:
        ordering = ["role", "kind", "channel"]
        verbose_name = _("notification default")
        verbose_name_plural = _("notification defaults")
        constraints = [
            models.UniqueConstraint(
                fields=["role", "kind", "channel"], name="notification_default_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.role}: {self.kind}/{self.channel} {self.mode}"


class ChatTarget(models.Model):
    """A chat destination (an apprise URL: Telegram, Slack, Teams, Matrix, ...) of a person or
    of a support line; the line's target hears what the line's members hear."""

    user = models.ForeignKey(
        "accounts.User",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="chat_targets",
        verbose_name=_("person"),
    )
    line = models.ForeignKey(
        "accounts.SupportLine",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="chat_targets",
        verbose_name=_("support line"),
    )
    url = models.CharField(
        _("apprise URL"),
        max_length=2000,
        help_text=_("For example tgram://bot-token/chat-id or slack://token-a/token-b/token-c."),
    )
    label = models.CharField(_("label"), max_length=100, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        ordering = ["id"]
        verbose_name = _("chat target")
        verbose_name_plural = _("chat targets")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(user__isnull=False, line__isnull=True)
                | models.Q(user__isnull=True, line__isnull=False),
                name="chat_target_one_owner",
            ),
        ]

    def __str__(self) -> str:
        return self.label or self.url.split("://", 1)[0]

    @property
    def recipient(self) -> str:
        return f"chat:{self.pk}"
