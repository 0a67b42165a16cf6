from __future__ import annotations

import enum

from django.db import models
from django.utils.translation import gettext_lazy as _


class OrganisationKind(models.TextChoices):
    VENDOR = "vendor", _("Support vendor")
    CUSTOMER = "customer", _("Customer")


class Role(models.TextChoices):
    ADMINISTRATOR = "administrator", _("Administrator")
    SUPERVISOR = "supervisor", _("Supervisor (line lead)")
    AGENT = "agent", _("Agent")
    SPECIALIST = "specialist", _("Customer specialist")
    CUSTOMER_USER = "customer_user", _("Customer user")


VENDOR_ROLES = frozenset({Role.ADMINISTRATOR, Role.SUPERVISOR, Role.AGENT})
CUSTOMER_ROLES = frozenset({Role.SPECIALIST, Role.CUSTOMER_USER})


class ContractKind(models.TextChoices):
    STANDARD = "standard", _("Standard")
    PERSONALISED = "personalised", _("Personalised")


class ContractStatus(models.TextChoices):
    """draft -> active (on payment) <-> suspended; active or suspended -> ended (its term is
    over, or ended early); a renewal brings an ended contract back to active."""

    DRAFT = "draft", _("Draft (awaiting payment)")
    ACTIVE = "active", _("Active")
    SUSPENDED = "suspended", _("Suspended")
    ENDED = "ended", _("Ended")
    # The old name of ENDED (once "expired"; "terminated" merged into it too), for callers
    # not yet moved; not a choice of its own.
    EXPIRED = enum.nonmember("ended")


class ContractEventKind(models.TextChoices):
    """What happened to a contract, as its history records it."""

    ACTIVATED = "activated", _("Activated (paid)")
    SUSPENDED = "suspended", _("Suspended")
    RESUMED = "resumed", _("Resumed")
    ENDED = "ended", _("Ended")
    RENEWED = "renewed", _("Renewed")
    END_WARNED = "end_warned", _("End announced")


class BlockReason(models.TextChoices):
    NONE = "", _("Not blocked")
    NO_CONTRACT = "no_contract", _("The organisation has no active support contract")
    CONTRACT_ENDED = "contract_ended", _("The organisation's support contract has ended")
    CONTRACT_SUSPENDED = "contract_suspended", _("The organisation's support contract is suspended")
    DISABLED = "disabled", _("The account was disabled by an administrator")
