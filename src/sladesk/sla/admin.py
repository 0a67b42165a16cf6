from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from sladesk.core.admin import ReadOnlyAdmin
from sladesk.sla.calendar import CalendarError
from sladesk.sla.models import Calendar, SlaEvent, SlaPolicy, SlaTarget
from sladesk.sla.services import sla_policy_ensure_default


def calendar_preview(calendar: Calendar, start_text: str, hours_text: str) -> dict[str, Any]:
    """ "Registered at X, N business hours -> due at Y" for the admin's preview form."""
    engine = calendar.engine()
    try:
        start = dt.datetime.fromisoformat(start_text) if start_text else timezone.now()
        hours = float(hours_text or "9")
    except ValueError:
        return {"error": _("Give the start as YYYY-MM-DD HH:MM and the hours as a number.")}
    if timezone.is_naive(start):
        start = start.replace(tzinfo=engine.zone)
    try:
        due = engine.add(start, dt.timedelta(hours=hours))
        cutoff = engine.cutoff_due(start, "12:00")
        shortened = engine.shortened_days(
            start.astimezone(engine.zone).date(), max(due, cutoff).astimezone(engine.zone).date()
        )
    except (CalendarError, OverflowError, ValueError) as error:
        return {"error": str(error)}
    return {
        "start": start.astimezone(engine.zone),
        "hours": hours,
        "due": due.astimezone(engine.zone),
        "cutoff_due": cutoff.astimezone(engine.zone),
        "zone": str(engine.zone),
        # Shortened pre-holiday days between the start and the later due time.
        "shortened_days": [
            {
                "day": day,
                "minutes": minutes,
                "hours": ", ".join("-".join(pair) for pair in engine.day_hours(day)),
            }
            for day, minutes in shortened.items()
        ],
    }


@admin.register(Calendar)
class CalendarAdmin(admin.ModelAdmin):
    list_display = ("name",)
    search_fields = ("name",)
    change_form_template = "admin/sla/calendar/change_form.html"

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        calendar = self.get_object(request, object_id)
        context = dict(extra_context or {})
        if calendar is not None:
            context["preview"] = calendar_preview(
                calendar, request.GET.get("preview_start", ""), request.GET.get("preview_hours", "")
            )
        return super().change_view(request, object_id, form_url, extra_context=context)


class SlaTargetInline(admin.TabularInline):
    model = SlaTarget
    extra = 0
    autocomplete_fields = ()


@admin.register(SlaPolicy)
class SlaPolicyAdmin(admin.ModelAdmin):
    list_display = ("name", "calendar", "auto_close_working_days")
    search_fields = ("name",)
    inlines = [SlaTargetInline]

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        """After the rows are saved: a policy always has its default row (a deleted one comes
        back with the strictest reaction of the others)."""
        super().save_related(request, form, formsets, change)
        sla_policy_ensure_default(policy=form.instance)


@admin.register(SlaEvent)
class SlaEventAdmin(ReadOnlyAdmin):
    list_display = ("ticket", "clock", "kind", "threshold", "due_at", "at")
    list_filter = ("kind", "clock")
    search_fields = ("ticket__number",)
    list_select_related = ("ticket",)
