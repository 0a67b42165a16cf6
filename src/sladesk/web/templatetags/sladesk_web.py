"""Small display filters of the web interface."""

from __future__ import annotations

import datetime as dt

from django import template

register = template.Library()


@register.filter
def business_hours(value: dt.timedelta | None) -> str:
    """A business-time budget as hours, e.g. 8 or 1.5."""
    if value is None:
        return ""
    hours = value.total_seconds() / 3600
    return f"{hours:g}"
