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


def test_a_policy_saved_in_the_admin_keeps_a_default_row(world: World) -> None:
    from sladesk.sla.models import SlaPolicy

    calendar = sla_install_examples()["moscow-categories"].calendar
    url = reverse("admin:sla_slapolicy_add")
    response = signed_in(world.admin).post(
        url,
        {
            "name": "Gold",
            "calendar": calendar.pk,
            "pause_statuses": '["waiting_for_customer"]',
            "warning_percents": "[50, 80]",
            "warning_actions": '["notify_assignee"]',
            "breach_actions": '["notify_line_lead"]',
            "targets-TOTAL_FORMS": "1",
            "targets-INITIAL_FORMS": "0",
            "targets-0-priority": "critical",
            "targets-0-response_budget": "01:00:00",
            "targets-0-resolution_starts": "registration",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    policy = SlaPolicy.objects.get(name="Gold")
    default = [row for row in policy.targets.all() if row.is_default]
    assert len(default) == 1
    assert default[0].response_budget is not None
