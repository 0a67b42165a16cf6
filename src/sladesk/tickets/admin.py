from __future__ import annotations

from django.contrib import admin

from sladesk.core.admin import ReadOnlyAdmin
from sladesk.tickets.models import (
    ChangeProposal,
    ClassificationScheme,
    PriorityMatrixCell,
    Severity,
    Tag,
    Ticket,
    TicketClass,
    TicketEvent,
)


class TicketClassInline(admin.TabularInline):
    model = TicketClass
    extra = 0


class PriorityMatrixInline(admin.TabularInline):
    model = PriorityMatrixCell
    extra = 0


@admin.register(ClassificationScheme)
class ClassificationSchemeAdmin(admin.ModelAdmin):
    list_display = ("name", "code")
    search_fields = ("name", "code")
    inlines = [TicketClassInline, PriorityMatrixInline]


class SeverityInline(admin.TabularInline):
    model = Severity
    fk_name = "ticket_class"
    extra = 0


@admin.register(TicketClass)
class TicketClassAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "scheme", "responsibility", "default_priority")
    list_filter = ("scheme", "responsibility")
    search_fields = ("code", "name")
    inlines = [SeverityInline]


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    search_fields = ("name",)


@admin.register(TicketEvent)
class TicketEventAdmin(ReadOnlyAdmin):
    list_display = ("ticket", "at", "kind", "field", "actor")
    list_filter = ("kind",)
    search_fields = ("ticket__number",)
    list_select_related = ("ticket", "actor")


@admin.register(ChangeProposal)
class ChangeProposalAdmin(ReadOnlyAdmin):
    list_display = ("ticket", "status", "proposed_by", "proposed_at", "decided_by")
    list_filter = ("status",)
    list_select_related = ("ticket", "proposed_by", "decided_by")


@admin.register(Ticket)
class TicketAdmin(ReadOnlyAdmin):
    """Tickets change only through the desk's services; the admin is for looking."""

    list_display = (
        "number",
        "title",
        "organisation",
        "status",
        "priority",
        "line",
        "assignee",
        "registered_at",
    )
    list_filter = ("status", "priority", "channel", "outside_contract", "line", "organisation")
    search_fields = ("number", "title")
    date_hierarchy = "registered_at"
    list_select_related = ("organisation", "line", "assignee")
