from __future__ import annotations

from django_tasks import task

from sladesk.notifications.services import notifications_deliver_due, notifications_prune


@task()
def notifications_deliver_task() -> int:
    """Send the notifications that are due (new ones and retries)."""
    return notifications_deliver_due()


@task()
def notifications_prune_task() -> int:
    """Forget old notices read in the desk."""
    return notifications_prune()
