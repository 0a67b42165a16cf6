from __future__ import annotations

from django_tasks import task

from sladesk.sla.services import sla_sweep


@task()
def sla_sweep_task() -> int:
    """Warnings, breaches, escalations and auto-closes whose moment has passed."""
    return sla_sweep()
