from __future__ import annotations

from django_tasks import task

from sladesk.accounts.services import contracts_sweep


@task()
def contracts_sweep_task() -> int:
    """Daily: expire ended contracts and block or unblock customer accounts accordingly."""
    from sladesk.core.periodic import periodic_runs_prune

    periodic_runs_prune()
    return contracts_sweep()
