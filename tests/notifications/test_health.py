"""Failing notifications are never silent: counted per channel, on /readyz, and in a banner
on every workspace page of an administrator."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from sladesk.notifications import health
from sladesk.notifications.choices import DeliveryChannel, NotificationKind, NotificationStatus
from sladesk.notifications.models import Notification
from sladesk.notifications.services import new_message_id
from tests.conftest import World, signed_in

NOW = dt.datetime(2026, 12, 3, 12, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def frozen() -> Iterator[time_machine.Coordinates]:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def row(
    *,
    status: str,
    attempts: int,
    error: str = "",
    channel: str = DeliveryChannel.EMAIL,
    age: dt.timedelta = dt.timedelta(hours=1),
) -> Notification:
    return Notification.objects.create(
        channel=channel,
        kind=NotificationKind.WEBHOOK
        if channel == DeliveryChannel.WEBHOOK
        else NotificationKind.REPLY,
        event_key=f"test:{new_message_id()}",
        recipient="someone@example.org",
        message_id=new_message_id(),
        status=status,
        attempts=attempts,
        last_error=error,
        created_at=NOW - age,
    )


@pytest.fixture
def failing(db: None) -> None:
    """Two e-mails failed for good and one keeps failing, one webhook keeps failing; and
    what does not count: a first failure, a sent row, an old failure."""
    row(
        status=NotificationStatus.FAILED,
        attempts=8,
        error="SMTPServerDisconnected: old",
        age=dt.timedelta(hours=5),
    )
    row(status=NotificationStatus.FAILED, attempts=8, error="ConnectionRefusedError: [Errno 111]")
    row(
        status=NotificationStatus.PENDING,
        attempts=3,
        error="TimeoutError: timed out",
        age=dt.timedelta(hours=2),
    )
    row(
        status=NotificationStatus.PENDING,
        attempts=4,
        error="ConnectError: webhook target down",
        channel=DeliveryChannel.WEBHOOK,
        age=dt.timedelta(hours=3),
    )
    row(status=NotificationStatus.PENDING, attempts=2, error="TimeoutError: a blip")
    row(status=NotificationStatus.SENT, attempts=1)
    row(status=NotificationStatus.FAILED, attempts=8, error="too old", age=dt.timedelta(hours=25))


def test_failing_notifications_are_counted_per_channel_in_one_query(failing: None) -> None:
    with CaptureQueriesContext(connection) as captured:
        report = health.failing_notifications_by_channel()
    assert len(captured.captured_queries) == 1
    assert [(item.channel, item.failed, item.retrying) for item in report.channels] == [
        ("email", 2, 1),
        ("webhook", 0, 1),
    ]
    assert report.channels[0].last_error == "ConnectionRefusedError: [Errno 111]"
    assert report.channels[1].last_error == "ConnectError: webhook target down"
    assert report.last_error == "ConnectionRefusedError: [Errno 111]"
    assert health.failing_notifications() == 4
    assert health.failing_notifications(since_hours=26) == 5
    assert health.failing_notifications(since_hours=2) == 2  # the window includes its start
    assert health.failing_notifications(since_hours=1) == 1


def test_nothing_failing_counts_nothing(db: None) -> None:
    row(status=NotificationStatus.SENT, attempts=1)
    assert health.failing_notifications() == 0
    assert health.failing_notifications_by_channel().last_error == ""


def test_readiness_keeps_its_answer_and_adds_the_notifications(failing: None) -> None:
    response = Client().get("/readyz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"] == "ok"
    assert body["details"] == {"notifications": {"failed": 2, "retrying": 2}}


def test_readiness_with_nothing_failing_says_zero(db: None) -> None:
    body = Client().get("/readyz").json()
    assert body["details"] == {"notifications": {"failed": 0, "retrying": 0}}


def test_an_administrator_sees_a_banner_with_the_last_error_and_a_link(
    world: World, failing: None
) -> None:
    html = signed_in(world.admin).get(reverse("web:ticket_list")).content.decode()
    assert "4 notifications could not be delivered; last error: ConnectionRefusedError" in html
    link = reverse("admin:notifications_notification_changelist") + "?status__exact=failed"
    assert f'href="{link}"' in html
    assert "E-mail: 2 failed, 1 still retrying" in html
    assert "Webhook: 0 failed, 1 still retrying" in html


def test_nobody_else_sees_the_banner(world: World, failing: None) -> None:
    for person in (world.lead, world.agent1, world.alpha.user):
        html = signed_in(person).get(reverse("web:ticket_list")).content.decode()
        assert "could not be delivered" not in html
        assert "data-failing-notifications" not in html


def test_the_banner_costs_one_query_a_minute(
    world: World, failing: None, frozen: time_machine.Coordinates
) -> None:
    admin = signed_in(world.admin)
    url = reverse("web:problem_list")
    counts = []

    def count(label: str) -> None:
        with CaptureQueriesContext(connection) as captured:
            html = admin.get(url).content.decode()
        counts.append(len(captured.captured_queries))
        assert label in html

    count("4 notifications")  # counted, and kept in the cache
    row(status=NotificationStatus.FAILED, attempts=8, error="the newest")
    count("4 notifications")  # from the cache, for up to a minute
    frozen.shift(dt.timedelta(seconds=61))
    count("5 notifications could not be delivered; last error: the newest")
    assert counts[1] == counts[0] - 1
    assert counts[2] == counts[0]


def test_nothing_failing_shows_no_banner(world: World) -> None:
    html = signed_in(world.admin).get(reverse("web:ticket_list")).content.decode()
    assert "could not be delivered" not in html
