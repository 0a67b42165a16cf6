"""The calendar's admin page previews "registered at X, N hours -> due at Y"."""

from __future__ import annotations

from django.urls import reverse

from sladesk.sla.models import Calendar
from sladesk.sla.services import sla_install_examples
from tests.conftest import World, signed_in


def test_the_calendar_admin_previews_a_due_time(world: World) -> None:
    sla_install_examples()
    moscow = Calendar.objects.get(name__startswith="Moscow")
    url = reverse("admin:sla_calendar_change", args=[moscow.pk])
    page = signed_in(world.admin).get(
        url, {"preview_start": "2026-11-06 12:30", "preview_hours": "9"}
    )
    text = page.content.decode()
    assert page.status_code == 200
    assert "2026-11-09 12:30" in text  # nine business hours after Friday 12:30
    assert "2026-11-09 19:00" in text  # the reaction under the 12:00 cut-off
    bad = signed_in(world.admin).get(url, {"preview_start": "yesterday", "preview_hours": "x"})
    assert "YYYY-MM-DD" in bad.content.decode()
