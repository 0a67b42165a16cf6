from __future__ import annotations

from django_tasks import task

from sladesk.reports.facts import figures_catch_up
from sladesk.reports.services import monthly_reports_due


@task()
def figures_catch_up_task() -> int:
    """Recount the report figures of the tickets changed since the last run."""
    return figures_catch_up()


@task()
def monthly_reports_task() -> int:
    """Build and mail the monthly reports whose day has come (and retry failed ones)."""
    return monthly_reports_due()
