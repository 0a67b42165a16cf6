"""SLADESK_TASK_BACKEND=rq: our tasks go through Redis (django-tasks-rq) and are run once by
an RQ worker, and the settings refuse the backend without a Redis server to put them in."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from django.conf import LazySettings

from sladesk.reports.models import StaleTicket, TicketFigures
from tests.conftest import World
from tests.core.test_commands import fresh_environment

REDIS_URL = "redis://127.0.0.1:6379/13"  # a database of its own, emptied before and after


def _redis_answers() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except redis.exceptions.ConnectionError:
        return False


pytestmark = pytest.mark.skipif(
    not _redis_answers(), reason=f"no Redis server answers at {REDIS_URL}"
)


@pytest.fixture
def redis_queue(settings: LazySettings) -> Iterator[redis.Redis]:
    """The task backend switched to RQ on an empty Redis database."""
    connection = redis.Redis.from_url(REDIS_URL)
    connection.flushdb()
    settings.RQ_QUEUES = {"default": {"URL": REDIS_URL}}
    settings.TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
    yield connection
    connection.flushdb()


def test_a_task_waits_in_redis_until_an_rq_worker_runs_it_once(
    world: World, redis_queue: redis.Redis
) -> None:
    import django_rq
    from django_tasks_rq import Job
    from rq import SimpleWorker
    from rq.job import JobStatus

    from sladesk.reports.tasks import figures_catch_up_task

    ticket = world.ticket(world.alpha)
    StaleTicket.objects.get_or_create(ticket=ticket)
    TicketFigures.objects.filter(pk=ticket.pk).delete()

    result = figures_catch_up_task.enqueue()
    queue = django_rq.get_queue("default", job_class=Job)
    assert queue.job_ids == [result.id]
    assert StaleTicket.objects.filter(ticket=ticket).exists()  # nothing ran yet

    # SimpleWorker runs the job in this thread, so on this test's database connection and
    # inside its transaction: the `db` fixture is enough, no transactional test needed.
    worker = SimpleWorker([queue], connection=queue.connection, job_class=Job)
    assert worker.work(burst=True) is True

    assert not StaleTicket.objects.filter(ticket=ticket).exists()
    assert TicketFigures.objects.filter(pk=ticket.pk).exists()
    job = Job.fetch(result.id, connection=queue.connection)
    assert job.get_status() == JobStatus.FINISHED
    assert len(job.results()) == 1  # one run, by one worker
    assert queue.finished_job_registry.get_job_ids() == [result.id]
    assert queue.failed_job_registry.get_job_ids() == []
    assert queue.job_ids == []
    result.refresh()
    assert result.status == "SUCCESSFUL"
    assert result.return_value == 1

    again = SimpleWorker([queue], connection=queue.connection, job_class=Job)
    assert again.work(burst=True) is False  # a second worker finds nothing left to run
    assert len(Job.fetch(result.id, connection=queue.connection).results()) == 1


def test_the_rq_backend_is_refused_without_a_redis_url(tmp_path: Path) -> None:
    environment = fresh_environment(tmp_path / "var")
    environment["SLADESK_TASK_BACKEND"] = "rq"
    environment["DJANGO_SETTINGS_MODULE"] = "sladesk.settings"
    completed = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 1
    assert "ConfigurationError" in completed.stderr
    assert "SLADESK_TASK_BACKEND=rq needs SLADESK_REDIS_URL" in completed.stderr

    command = subprocess.run(
        [sys.executable, "-m", "sladesk.cli", "worker"],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert command.returncode == 2
    assert command.stderr.strip() == (
        "sladesk: SLADESK_TASK_BACKEND=rq needs SLADESK_REDIS_URL: "
        "the Redis server that holds the queue"
    )
