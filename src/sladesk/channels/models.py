"""Mailboxes the desk reads, and every message it received, raw."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from sladesk.accounts.choices import OrganisationKind
from sladesk.accounts.models import Organisation, Service
from sladesk.channels.choices import ImapSecurity, InboundSource, InboundStatus, UnknownSenderPolicy


class Mailbox(models.Model):
    """An IMAP mailbox polled for customer mail, and what to do with unknown senders."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    address = models.EmailField(_("address"), help_text=_("The desk's address customers write to."))
    host = models.CharField(_("IMAP host"), max_length=255, blank=True)
    port = models.PositiveIntegerField(_("IMAP port"), default=993)
    security = models.CharField(
        _("security"), max_length=10, choices=ImapSecurity.choices, default=ImapSecurity.TLS
    )
    username = models.CharField(_("user name"), max_length=255, blank=True)
    password = models.CharField(_("password"), max_length=255, blank=True)
    folder = models.CharField(_("folder"), max_length=255, default="INBOX")
    processed_folder = models.CharField(
        _("processed folder"),
        max_length=255,
        blank=True,
        help_text=_("Move processed messages here; empty: flag them and leave them."),
    )
    unknown_sender_policy = models.CharField(
        _("unknown senders"),
        max_length=20,
        choices=UnknownSenderPolicy.choices,
        default=UnknownSenderPolicy.QUARANTINE,
    )
    default_organisation = models.ForeignKey(
        "accounts.Organisation",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("organisation for unknown senders"),
    )
    authserv_id = models.CharField(
        _("authentication server"),
        max_length=255,
        blank=True,
        help_text=_(
            "The name your receiving mail server writes in Authentication-Results "
            "(its authserv-id). When set, mail from a known person or a ticket's contact is "
            "accepted only if DMARC, or DKIM or SPF aligned with the From domain, passed; "
            "anything else is quarantined. The server must remove such fields that arrive "
            "under its name."
        ),
    )
    is_active = models.BooleanField(_("active"), default=True)
    last_polled_at = models.DateTimeField(_("last polled at"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("mailbox")
        verbose_name_plural = _("mailboxes")

    def __str__(self) -> str:
        return f"{self.name} <{self.address}>"


class InboundMail(models.Model):
    """One received message, stored raw before anything else is done with it (nothing is
    lost); `dedup_key` (its Message-ID, or the hash of its bytes) makes intake idempotent."""

    mailbox = models.ForeignKey(
        Mailbox, on_delete=models.SET_NULL, null=True, blank=True, related_name="messages"
    )
    source = models.CharField(_("source"), max_length=10, choices=InboundSource.choices)
    dedup_key = models.CharField(max_length=80, unique=True)
    raw = models.BinaryField(_("raw message"))
    size = models.PositiveIntegerField(_("size"))
    content_hash = models.CharField(max_length=64)
    message_id = models.CharField(_("Message-ID"), max_length=1000, blank=True)
    sender = models.CharField(_("sender"), max_length=320, blank=True)  # indexed with received_at
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=InboundStatus.choices, default=InboundStatus.PENDING
    )
    reason = models.TextField(_("reason"), blank=True)
    # What the receiving server found of the sender (Authentication-Results), when checked.
    authentication = models.CharField(_("sender authentication"), max_length=300, blank=True)
    # An administrator sent the message through again: they vouch for its sender.
    sender_vouched = models.BooleanField(_("sender vouched for"), default=False)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    # Taken by an intake process until then (the parse runs outside any transaction, so no
    # row lock keeps a second process from starting on it meanwhile).
    claimed_until = models.DateTimeField(_("claimed until"), null=True, blank=True)
    ticket = models.ForeignKey(
        "tickets.Ticket",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="inbound_mail",
    )
    comment = models.ForeignKey(
        "tickets.Comment", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_ticket = models.BooleanField(default=False)
    received_at = models.DateTimeField(_("received at"), default=timezone.now)
    processed_at = models.DateTimeField(_("processed at"), null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("inbound message")
        verbose_name_plural = _("inbound messages")
        indexes = [
            models.Index(fields=["status", "received_at"], name="inbound_status_time"),
            models.Index(fields=["sender", "received_at"], name="inbound_sender_time"),
        ]

    def __str__(self) -> str:
        return f"{self.sender or '?'}: {self.subject} ({self.status})"


class AlertSource(models.Model):
    """A monitoring system that opens incidents for one customer organisation: it posts
    Alertmanager-style notifications with its own bearer token (only its digest is kept)."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    organisation = models.ForeignKey(
        "accounts.Organisation",
        on_delete=models.PROTECT,
        related_name="alert_sources",
        verbose_name=_("organisation"),
    )
    service = models.ForeignKey(
        "accounts.Service",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("service"),
    )
    ticket_class = models.ForeignKey(
        "tickets.TicketClass",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("class of its incidents"),
    )
    token_prefix = models.CharField(_("token prefix"), max_length=12, blank=True)
    token_digest = models.CharField(max_length=64, blank=True, db_index=True)
    max_new_tickets_per_hour = models.PositiveIntegerField(
        _("new incidents an hour at most"),
        default=20,
        help_text=_("Alerts beyond this are quarantined: an alert storm opens no flood."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    last_received_at = models.DateTimeField(_("last received at"), null=True, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("alert source")
        verbose_name_plural = _("alert sources")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        organisation = Organisation.objects.filter(pk=self.organisation_id or 0).first()
        if organisation is None:
            return  # the field's own check says so
        if organisation.kind != OrganisationKind.CUSTOMER:
            raise ValidationError(
                {"organisation": _("Alerts open incidents for a customer organisation.")}
            )
        theirs = Service.objects.filter(organisation=organisation)
        if self.service_id and not theirs.filter(pk=self.service_id).exists():
            raise ValidationError({"service": _("The service must be the organisation's.")})


class InboundAlert(models.Model):
    """One alert of a monitoring notification, stored as received before it is acted on;
    `dedup_key` makes a redelivered notification change nothing."""

    source = models.ForeignKey(
        AlertSource,
        on_delete=models.SET_NULL,
        null=True,
        related_name="alerts",
        db_index=False,  # `alert_thread` leads with it
    )
    dedup_key = models.CharField(max_length=64, unique=True)
    fingerprint = models.CharField(_("fingerprint"), max_length=100, blank=True)
    alert_status = models.CharField(_("alert status"), max_length=10, blank=True)
    title = models.CharField(_("title"), max_length=200, blank=True)
    payload = models.JSONField(_("payload"))
    starts_at = models.DateTimeField(_("starts at"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=InboundStatus.choices, default=InboundStatus.PENDING
    )
    reason = models.TextField(_("reason"), blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    ticket = models.ForeignKey(
        "tickets.Ticket",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="alerts",
    )
    created_ticket = models.BooleanField(default=False)
    received_at = models.DateTimeField(_("received at"), default=timezone.now)
    processed_at = models.DateTimeField(_("processed at"), null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("inbound alert")
        verbose_name_plural = _("inbound alerts")
        indexes = [
            models.Index(fields=["source", "fingerprint", "received_at"], name="alert_thread"),
            models.Index(fields=["status", "received_at"], name="alert_status_time"),
        ]

    def __str__(self) -> str:
        return f"{self.title or self.fingerprint} ({self.alert_status}, {self.status})"
