from __future__ import annotations

from django_tasks import task

from sladesk.accounts.services import contracts_sweep


@task()
def contracts_sweep_task() -> int:
    """Daily: mark contracts whose term is over as ended, rewrite the accounts' derived
    `blocked_reason` and send the end warnings due (access itself is checked per request)."""
    from sladesk.core.periodic import periodic_runs_prune

    periodic_runs_prune()
    return contracts_sweep()
