from __future__ import annotations

from django.contrib import admin

from sladesk.core.admin import ReadOnlyAdmin
from sladesk.reports.models import MonthlyReport


@admin.register(MonthlyReport)
class MonthlyReportAdmin(ReadOnlyAdmin):
    """The kept monthly reports; a failed one shows why (the worker tries it again)."""

    list_display = ("period", "contract", "status", "attempts", "mailed_at", "last_error")
    list_filter = ("status", "period")
    search_fields = ("contract__number", "contract__organisation__name")
    list_select_related = ("contract",)
