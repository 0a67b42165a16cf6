from __future__ import annotations

from django.contrib import admin

from sladesk.core.admin import ReadOnlyAdmin
from sladesk.problems.models import Problem


@admin.register(Problem)
class ProblemAdmin(ReadOnlyAdmin):
    """Problems, to look up: they change through the API, where every change is an event."""

    list_display = ("number", "title", "status", "owner", "registered_at")
    list_filter = ("status",)
    search_fields = ("number", "title")
