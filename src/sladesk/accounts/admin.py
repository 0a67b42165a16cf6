from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from sladesk.accounts.choices import ContractStatus
from sladesk.accounts.models import (
    ApiToken,
    Contract,
    ContractEvent,
    Organisation,
    Service,
    SupportLine,
    User,
)
from sladesk.accounts.services import (
    contract_activate,
    contract_end,
    contract_renew,
    contract_resume,
    contract_suspend,
)
from sladesk.core.errors import DomainError

admin.site.site_header = _("sladesk administration")
admin.site.site_title = "sladesk"


class ServiceInline(admin.TabularInline):
    model = Service
    extra = 0


class ContractInline(admin.TabularInline):
    """The organisation's contracts at a glance; each is added and changed on its own page,
    where its status moves only through the lifecycle actions."""

    model = Contract
    extra = 0
    fields = ("number", "status", "starts_on", "ends_on", "included_lines", "max_accounts")
    readonly_fields = fields
    show_change_link = True
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "kind", "is_active")
    list_filter = ("kind", "is_active")
    search_fields = ("name", "code", "email_domains")
    prepopulated_fields = {"code": ("name",)}
    inlines = [ServiceInline, ContractInline]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ("email",)
    list_display = ("email", "full_name", "organisation", "role", "is_active", "blocked_reason")
    list_filter = ("role", "is_active", "blocked_reason", "organisation")
    search_fields = ("email", "full_name")
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Person"), {"fields": ("full_name", "phone", "language", "time_zone")}),
        (_("Access"), {"fields": ("organisation", "role", "is_active", "blocked_reason")}),
    )
    add_fieldsets = (
        (None, {"fields": ("email", "organisation", "role", "password1", "password2")}),
    )
    filter_horizontal = ()
    readonly_fields = ("blocked_reason",)


@admin.register(SupportLine)
class SupportLineAdmin(admin.ModelAdmin):
    list_display = ("level", "name", "is_external", "lead")
    filter_horizontal = ("members",)


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    list_display = ("name", "organisation", "is_active")
    list_filter = ("is_active", "organisation")
    search_fields = ("name",)


class ContractEventInline(admin.TabularInline):
    """The contract's history: append-only, shown and never changed."""

    model = ContractEvent
    extra = 0
    fields = ("at", "kind", "actor", "before", "after", "note")
    readonly_fields = fields
    can_delete = False
    ordering = ("at", "id")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class RenewForm(forms.Form):
    ends_on = forms.DateField(
        label=_("New end date"), widget=forms.DateInput(attrs={"type": "date"})
    )


@admin.register(Contract)
class ContractAdmin(admin.ModelAdmin):
    """Contracts; their status changes through the actions (activate on payment, suspend,
    resume, end, renew), each recorded in the contract's history below the form."""

    list_display = (
        "number",
        "organisation",
        "kind",
        "status",
        "starts_on",
        "ends_on",
        "included_lines",
        "account_manager",
    )
    list_filter = ("status", "kind", "organisation")
    search_fields = ("number", "organisation__name")
    date_hierarchy = "ends_on"
    list_select_related = ("organisation", "account_manager")
    inlines = [ContractEventInline]
    actions = ["activate", "suspend", "resume", "end", "renew"]
    readonly_fields = ("status", "paid_on", "activated_at", "activated_by", "end_warned_for")

    def get_readonly_fields(self, request: HttpRequest, obj: Contract | None = None) -> Any:
        # A signed contract's term moves only by renewal (or ends early by the action),
        # so that its history says when and by whom.
        fields = super().get_readonly_fields(request, obj)
        if obj is not None and obj.status != ContractStatus.DRAFT:
            return (*fields, "organisation", "starts_on", "ends_on")
        return fields

    def _each(
        self,
        request: HttpRequest,
        queryset: QuerySet[Contract],
        step: Callable[[User, Contract], Contract],
        done: str,
    ) -> None:
        actor = request.user
        assert isinstance(actor, User)  # noqa: S101  # the admin requires a signed-in user
        changed = 0
        for contract in queryset.order_by("pk"):
            try:
                step(actor, contract)
            except DomainError as error:
                self.message_user(request, f"{contract.number}: {error.message}", messages.ERROR)
            else:
                changed += 1
        if changed:
            self.message_user(request, done % {"count": changed}, messages.SUCCESS)

    @admin.action(description=_("Activate the selected contracts (paid today)"))
    def activate(self, request: HttpRequest, queryset: QuerySet[Contract]) -> None:
        self._each(
            request,
            queryset,
            lambda actor, contract: contract_activate(actor=actor, contract=contract),
            gettext("%(count)d contracts activated."),
        )

    @admin.action(description=_("Suspend the selected contracts"))
    def suspend(self, request: HttpRequest, queryset: QuerySet[Contract]) -> None:
        self._each(
            request,
            queryset,
            lambda actor, contract: contract_suspend(actor=actor, contract=contract),
            gettext("%(count)d contracts suspended."),
        )

    @admin.action(description=_("Resume the selected contracts"))
    def resume(self, request: HttpRequest, queryset: QuerySet[Contract]) -> None:
        self._each(
            request,
            queryset,
            lambda actor, contract: contract_resume(actor=actor, contract=contract),
            gettext("%(count)d contracts resumed."),
        )

    @admin.action(description=_("End the selected contracts now"))
    def end(self, request: HttpRequest, queryset: QuerySet[Contract]) -> None:
        self._each(
            request,
            queryset,
            lambda actor, contract: contract_end(actor=actor, contract=contract),
            gettext("%(count)d contracts ended."),
        )

    @admin.action(description=_("Renew the selected contracts to a new end date"))
    def renew(self, request: HttpRequest, queryset: QuerySet[Contract]) -> HttpResponse | None:
        form = RenewForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            ends_on: dt.date = form.cleaned_data["ends_on"]
            self._each(
                request,
                queryset,
                lambda actor, contract: contract_renew(
                    actor=actor, contract=contract, ends_on=ends_on
                ),
                gettext("%(count)d contracts renewed."),
            )
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Renew contracts"),
            "opts": self.model._meta,
            "contracts": queryset.select_related("organisation").order_by("pk"),
            "form": form,
            "action_checkbox_name": ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/accounts/contract/renew.html", context)


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("name", "user", "prefix", "scope", "created_at", "expires_at", "revoked_at")
    list_filter = ("scope",)
    search_fields = ("name", "user__email", "prefix")
    readonly_fields = ("prefix", "digest", "created_at", "last_used_at")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # the raw token is shown once, by `sladesk token create`
