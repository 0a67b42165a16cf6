from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from sladesk.accounts.models import ApiToken, Contract, Organisation, Service, SupportLine, User

admin.site.site_header = _("sladesk administration")
admin.site.site_title = "sladesk"


class ServiceInline(admin.TabularInline):
    model = Service
    extra = 0


class ContractInline(admin.TabularInline):
    model = Contract
    extra = 0
    fields = ("number", "status", "starts_on", "ends_on", "included_lines", "max_accounts")
    show_change_link = True


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


@admin.register(Contract)
class ContractAdmin(admin.ModelAdmin):
    list_display = (
        "number",
        "organisation",
        "kind",
        "status",
        "starts_on",
        "ends_on",
        "included_lines",
    )
    list_filter = ("status", "kind", "organisation")
    search_fields = ("number", "organisation__name")
    date_hierarchy = "ends_on"


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("name", "user", "prefix", "scope", "created_at", "expires_at", "revoked_at")
    list_filter = ("scope",)
    search_fields = ("name", "user__email", "prefix")
    readonly_fields = ("prefix", "digest", "created_at", "last_used_at")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # the raw token is shown once, by `sladesk token create`
