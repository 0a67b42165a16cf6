from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class ImapSecurity(models.TextChoices):
    TLS = "tls", _("TLS")
    STARTTLS = "starttls", _("STARTTLS")
    NONE = "none", _("None (loopback only)")


class UnknownSenderPolicy(models.TextChoices):
    CREATE = "create", _("Create a flagged ticket")
    QUARANTINE = "quarantine", _("Quarantine")


class InboundStatus(models.TextChoices):
    PENDING = "pending", _("Waiting to be processed")
    PROCESSED = "processed", _("Processed")
    IGNORED = "ignored", _("Ignored")
    QUARANTINED = "quarantined", _("Quarantined")


class InboundSource(models.TextChoices):
    IMAP = "imap", _("IMAP")
    PIPE = "pipe", _("Mail pipe")
