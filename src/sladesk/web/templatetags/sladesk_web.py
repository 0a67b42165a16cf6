"""Small display filters of the web interface."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import template
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.db.models import Field
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.formats import date_format
from django.utils.text import capfirst

from sladesk.tickets.models import Ticket, TicketEvent

register = template.Library()


@register.filter
def business_hours(value: dt.timedelta | None) -> str:
    """A business-time budget as hours, e.g. 8 or 1.5."""
    if value is None:
        return ""
    hours = value.total_seconds() / 3600
    return f"{hours:g}"


def _shown(field: Field[Any, Any], value: Any) -> str:
    if value in (None, ""):
        return "—"
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(field, models.DateTimeField) and isinstance(value, str):
        moment = parse_datetime(value)
        if moment is not None:
            return date_format(timezone.localtime(moment), "DATETIME_FORMAT")
    return str(value)


@register.filter
def event_change(event: TicketEvent, names: dict[tuple[str, int], str] | None = None) -> str:
    """What a history entry changed, in words: "Status: New → In progress", "Assignee: — →
    Anna Petrova" with `names` (from `tickets.selectors.event_names`); without a name a
    link to another record is named by its field alone (its value is an id)."""
    if not event.field:
        return ""
    if names is not None and event.field.endswith("_id"):
        shown = [
            "—"
            if value is None
            else names.get((event.field, value))
            if isinstance(value, int)
            else None
            for value in (event.before, event.after)
        ]
        if None not in shown:
            field_name = event.field.removesuffix("_id")
            named = Ticket._meta.get_field(field_name)
            label = capfirst(str(getattr(named, "verbose_name", field_name)))
            return f"{label}: {shown[0]} → {shown[1]}"
    try:
        field = Ticket._meta.get_field(event.field.removesuffix("_id"))
    except FieldDoesNotExist:
        return event.field
    if not isinstance(field, models.Field):
        return event.field
    label = capfirst(str(field.verbose_name))
    values = (event.before, event.after)
    if field.is_relation or any(isinstance(value, dict | list) for value in values):
        return label
    return f"{label}: {_shown(field, event.before)} → {_shown(field, event.after)}"
