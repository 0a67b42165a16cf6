"""Organisations (the vendor and its customers), people, support lines, contracts, tokens."""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from sladesk.accounts.choices import (
    CUSTOMER_ROLES,
    VENDOR_ROLES,
    BlockReason,
    ContractEventKind,
    ContractKind,
    ContractStatus,
    OrganisationKind,
    Role,
)


class Organisation(models.Model):
    """The support vendor (exactly one) or a customer organisation under contract."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    code = models.SlugField(_("code"), max_length=40, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=OrganisationKind.choices)
    email_domains = models.CharField(
        _("e-mail domains"),
        max_length=500,
        blank=True,
        help_text=_("Comma-separated domains whose senders belong to this organisation."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        ordering = ["name"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        constraints = [
            models.UniqueConstraint(
                fields=["kind"], condition=Q(kind="vendor"), name="organisation_one_vendor"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_vendor(self) -> bool:
        return self.kind == OrganisationKind.VENDOR

    def domain_list(self) -> list[str]:
        return [d.strip().lower() for d in self.email_domains.split(",") if d.strip()]


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **fields: Any) -> User:
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **fields: Any) -> User:
        if "organisation" not in fields and "organisation_id" not in fields:
            fields["organisation"] = Organisation.objects.get(kind=OrganisationKind.VENDOR)
        fields.setdefault("role", Role.ADMINISTRATOR)
        return self.create_user(email, password, **fields)

    def get_by_natural_key(self, username: str | None) -> User:
        return self.get(email__iexact=username or "")


class User(AbstractBaseUser, PermissionsMixin):
    """A person who signs in: vendor staff or a customer's specialist or end user."""

    email = models.EmailField(_("e-mail"), unique=True)
    full_name = models.CharField(_("full name"), max_length=200, blank=True)
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="members",
        verbose_name=_("organisation"),
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    phone = models.CharField(_("phone"), max_length=50, blank=True)
    language = models.CharField(
        _("language"), max_length=10, choices=settings.LANGUAGES, default="en"
    )
    time_zone = models.CharField(_("time zone"), max_length=64, default="Europe/Moscow")
    is_active = models.BooleanField(_("active"), default=True)
    blocked_reason = models.CharField(
        _("blocked because"), max_length=30, choices=BlockReason.choices, blank=True, default=""
    )
    date_joined = models.DateTimeField(_("joined"), default=timezone.now)

    objects: ClassVar[UserManager] = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        ordering = ["email"]
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.full_name or self.email

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.email = self.email.strip().lower()
        # Administrators configure everything through the admin; nobody else gets Django's
        # blanket permissions.
        self.is_superuser = self.role == Role.ADMINISTRATOR
        super().save(*args, **kwargs)

    @property
    def is_staff(self) -> bool:
        return self.role == Role.ADMINISTRATOR

    @property
    def is_vendor_staff(self) -> bool:
        return self.role in VENDOR_ROLES

    @property
    def is_customer(self) -> bool:
        return self.role in CUSTOMER_ROLES

    @property
    def is_blocked(self) -> bool:
        return bool(self.blocked_reason)


class SupportLine(models.Model):
    """A tier of the vendor's support: 0 self-service ... 3 engineering, 4 external vendor."""

    level = models.PositiveSmallIntegerField(
        _("level"), unique=True, validators=[MinValueValidator(0), MaxValueValidator(4)]
    )
    name = models.CharField(_("name"), max_length=100)
    description = models.TextField(_("description"), blank=True)
    is_external = models.BooleanField(
        _("external vendor"),
        default=False,
        help_text=_("Work happens outside the organisation; the ticket tracks the external case."),
    )
    lead = models.ForeignKey(
        User,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="led_lines",
        verbose_name=_("line lead"),
    )
    members = models.ManyToManyField(
        User, blank=True, related_name="support_lines", verbose_name=_("members")
    )
    assignment_rule = models.CharField(
        _("escalated tickets go to"),
        max_length=20,
        blank=True,
        choices=[
            ("", _("nobody (the line's unassigned queue)")),
            ("least_loaded", _("the member with the fewest open tickets")),
            ("round_robin", _("each member in turn")),
        ],
    )

    class Meta:
        ordering = ["level"]
        verbose_name = _("support line")
        verbose_name_plural = _("support lines")

    def __str__(self) -> str:
        return f"{self.level}: {self.name}"


class Service(models.Model):
    """An application or system of a customer that the vendor supports."""

    # Indexed as the first column of the unique name per organisation.
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="services", db_index=False
    )
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["organisation__name", "name"]
        verbose_name = _("service")
        verbose_name_plural = _("services")
        constraints = [
            models.UniqueConstraint(fields=["organisation", "name"], name="service_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name


class Contract(models.Model):
    """A customer's support contract: its term, lines, accounts and classification scheme.

    It gives support while it is active and the desk's date (SLADESK_TIME_ZONE) lies within
    `starts_on`..`ends_on`: it ends at the end of its `ends_on` day in the desk's zone. Its
    status changes only through the services `contract_activate`, `contract_suspend`,
    `contract_resume`, `contract_end` and `contract_renew`, each recorded as a
    `ContractEvent`."""

    number = models.CharField(_("number"), max_length=50, unique=True)
    # Indexed as the first column of `contract_access`.
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="contracts",
        verbose_name=_("organisation"),
        db_index=False,
    )
    kind = models.CharField(
        _("kind"), max_length=20, choices=ContractKind.choices, default=ContractKind.STANDARD
    )
    status = models.CharField(
        _("status"), max_length=20, choices=ContractStatus.choices, default=ContractStatus.DRAFT
    )
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    included_lines = models.PositiveSmallIntegerField(
        _("highest included line"),
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(4)],
        help_text=_("Support lines 1..N are included (3 usually, sometimes 4)."),
    )
    max_accounts = models.PositiveSmallIntegerField(_("maximum accounts"), default=2)
    classification_scheme = models.ForeignKey(
        "tickets.ClassificationScheme",
        on_delete=models.PROTECT,
        related_name="contracts",
        verbose_name=_("classification scheme"),
    )
    sla_policy = models.ForeignKey(
        "sla.SlaPolicy",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="contracts",
        verbose_name=_("SLA policy"),
    )
    notes = models.TextField(_("notes"), blank=True)
    paid_on = models.DateField(_("paid on"), null=True, blank=True)
    activated_at = models.DateTimeField(_("activated at"), null=True, blank=True)
    activated_by = models.ForeignKey(
        "User",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("activated by"),
    )
    account_manager = models.ForeignKey(
        "User",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="managed_contracts",
        limit_choices_to={"role__in": sorted(VENDOR_ROLES)},
        verbose_name=_("account manager"),
        help_text=_("The vendor's person for this customer; told before the contract ends."),
    )
    warn_days_before_end = models.PositiveSmallIntegerField(
        _("warn days before the end"),
        default=30,
        validators=[MaxValueValidator(366)],
        help_text=_(
            "Days before the end the account manager and the customer's specialists "
            "are told (0: never)."
        ),
    )
    # The `ends_on` the end warning went out for: a renewal moves `ends_on` and so re-arms it.
    end_warned_for = models.DateField(_("end announced for"), null=True, blank=True)
    specialists_notified = models.CharField(
        _("specialists hear of"),
        max_length=10,
        choices=[
            ("all", _("every ticket of the organisation")),
            ("own", _("only tickets they requested or watch")),
        ],
        default="all",
    )

    class Meta:
        ordering = ["organisation__name", "-starts_on"]
        verbose_name = _("contract")
        verbose_name_plural = _("contracts")
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")), name="contract_ends_after_start"
            ),
        ]
        indexes = [
            # What every customer request asks: does a contract of this organisation give
            # support today?
            models.Index(fields=["organisation", "status", "ends_on"], name="contract_access"),
        ]

    def __str__(self) -> str:
        return self.number

    def covers(self, day: Any) -> bool:
        """Whether the contract gives support on that date (paid and within its term)."""
        return self.status == ContractStatus.ACTIVE and self.starts_on <= day <= self.ends_on


class ContractEvent(models.Model):
    """One step in a contract's life (who, when, what, before, after); append-only."""

    # contract_event_time leads with the contract: no index of its own.
    contract = models.ForeignKey(
        Contract,
        on_delete=models.PROTECT,
        related_name="events",
        verbose_name=_("contract"),
        db_index=False,
    )
    kind = models.CharField(_("kind"), max_length=20, choices=ContractEventKind.choices)
    # None: the desk itself (the daily job).
    actor = models.ForeignKey(
        User,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    at = models.DateTimeField(_("at"), default=timezone.now)
    before = models.JSONField(_("before"), default=dict, blank=True)
    after = models.JSONField(_("after"), default=dict, blank=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("contract event")
        verbose_name_plural = _("contract events")
        indexes = [models.Index(fields=["contract", "at"], name="contract_event_time")]

    def __str__(self) -> str:
        return f"{self.contract_id}: {self.kind}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise ValueError("contract events are never changed")
        super().save(*args, **kwargs)


class ApiToken(models.Model):
    """A bearer token for the REST API; only its SHA-256 digest is stored."""

    class Scope(models.TextChoices):
        READ = "read", _("Read")
        WRITE = "write", _("Read and write")
        ADMIN = "admin", _("Administration")

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("prefix"), max_length=12, db_index=True)
    digest = models.CharField(max_length=64, unique=True)
    scope = models.CharField(_("scope"), max_length=10, choices=Scope.choices, default=Scope.READ)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"
