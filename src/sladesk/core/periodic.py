"""Periodic jobs, claimed once per period in the database so that any number of workers
run each occurrence exactly once, and a worker that was down catches up when it starts."""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass

from django.db import IntegrityError, close_old_connections, transaction
from django.utils import timezone

from sladesk.core.models import PeriodicRun

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PeriodicJob:
    name: str
    period_key: Callable[[dt.datetime], str]  # the same key for every instant of one period
    enqueue: Callable[[], object]


def daily(now: dt.datetime) -> str:
    return timezone.localtime(now).date().isoformat()


def every_minute(now: dt.datetime) -> str:
    return now.strftime("%Y-%m-%dT%H:%M")


def hourly(now: dt.datetime) -> str:
    return now.strftime("%Y-%m-%dT%H")


def jobs() -> list[PeriodicJob]:
    from sladesk.accounts.tasks import contracts_sweep_task
    from sladesk.channels.tasks import inbound_retry_task, mailboxes_poll_task
    from sladesk.notifications.tasks import notifications_deliver_task, notifications_prune_task
    from sladesk.reports.tasks import figures_catch_up_task, monthly_reports_task
    from sladesk.sla.tasks import sla_sweep_task
    from sladesk.tickets.tasks import external_cases_remind_task

    return [
        PeriodicJob("contracts_sweep", daily, contracts_sweep_task.enqueue),
        PeriodicJob("sla_sweep", every_minute, sla_sweep_task.enqueue),
        PeriodicJob("external_follow_ups", daily, external_cases_remind_task.enqueue),
        PeriodicJob("mail_poll", every_minute, mailboxes_poll_task.enqueue),
        PeriodicJob("intake_retry", every_minute, inbound_retry_task.enqueue),
        PeriodicJob("notifications_deliver", every_minute, notifications_deliver_task.enqueue),
        PeriodicJob("notifications_prune", daily, notifications_prune_task.enqueue),
        PeriodicJob("report_figures", every_minute, figures_catch_up_task.enqueue),
        # Hourly: the first working day begins at a different hour in each contract's zone,
        # and a report whose PDF failed is tried again within the hour.
        PeriodicJob("monthly_reports", hourly, monthly_reports_task.enqueue),
    ]


def periodic_runs_prune(*, keep: dt.timedelta = dt.timedelta(days=7)) -> int:
    """Forget claims older than `keep` (the unique key only matters within a period)."""
    deleted, _by_model = PeriodicRun.objects.filter(claimed_at__lt=timezone.now() - keep).delete()
    return deleted


def run_due(now: dt.datetime | None = None, worker: str | None = None) -> list[str]:
    """Enqueue every job whose current period has not been claimed yet; returns their names.

    The claim and the enqueued task commit together, so a crash between them loses neither."""
    moment = now or timezone.now()
    name = worker or f"{socket.gethostname()}:{os.getpid()}"
    started = []
    for job in jobs():
        try:
            with transaction.atomic():
                PeriodicRun.objects.create(
                    job=job.name, period_key=job.period_key(moment), claimed_by=name
                )
                job.enqueue()
        except IntegrityError:
            continue
        started.append(job.name)
    return started


def scheduler_loop(stop: threading.Event, interval: float = 15.0) -> None:
    """The worker's scheduling thread: check for due periodic jobs every `interval` seconds."""
    while not stop.is_set():
        try:
            for job_name in run_due():
                logger.info("enqueued periodic job %s", job_name)
        except Exception:
            logger.exception("periodic scheduling failed; retrying")
        finally:
            close_old_connections()
        stop.wait(interval)
