from __future__ import annotations

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
    DRAFT = "draft", _("Draft (awaiting payment)")
    ACTIVE = "active", _("Active")
    EXPIRED = "expired", _("Expired")
    TERMINATED = "terminated", _("Terminated")


class BlockReason(models.TextChoices):
    NONE = "", _("Not blocked")
    NO_CONTRACT = "no_contract", _("The organisation has no active support contract")
    CONTRACT_ENDED = "contract_ended", _("The organisation's support contract has ended")
    DISABLED = "disabled", _("The account was disabled by an administrator")
