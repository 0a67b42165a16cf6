from __future__ import annotations

from django_tasks import task

from sladesk.tickets.services import external_cases_remind


@task()
def external_cases_remind_task() -> int:
    """Daily: remind of the external vendors' cases whose follow-up date has come."""
    return external_cases_remind()
