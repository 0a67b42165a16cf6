"""Whether the outbox delivers: notifications that failed, or keep failing and are still
retried, counted per channel so that a silent mail server (or webhook target) shows on
`/readyz` and in the administrators' banner instead of only in the log."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.cache import cache
from django.db.models import Count, Max, OuterRef, Q, Subquery

from sladesk.core import clock
from sladesk.notifications.choices import NotificationStatus
from sladesk.notifications.models import Notification

# A pending row that failed this often is "retrying": one or two failures are a blip that the
# next attempt usually mends, the third is worth an administrator's look.
RETRYING_AFTER_ATTEMPTS = 3
WINDOW_HOURS = 24
CACHE_KEY = "notifications:health:v1"
CACHE_SECONDS = 60


@dataclass(frozen=True)
class ChannelFailures:
    """One channel's failing notifications within the window."""

    channel: str
    failed: int
    retrying: int
    last_error: str
    last_created_at: dt.datetime | None


@dataclass(frozen=True)
class FailureReport:
    """Failing notifications within the window, per channel (channels without any left out)."""

    channels: tuple[ChannelFailures, ...]

    @property
    def failed(self) -> int:
        return sum(channel.failed for channel in self.channels)

    @property
    def retrying(self) -> int:
        return sum(channel.retrying for channel in self.channels)

    @property
    def total(self) -> int:
        return self.failed + self.retrying

    @property
    def last_error(self) -> str:
        """The error of the newest failing notification, of whichever channel."""
        dated = [channel for channel in self.channels if channel.last_created_at is not None]
        if not dated:
            return ""
        return max(dated, key=lambda channel: channel.last_created_at or clock.now()).last_error


def _failing(since: dt.datetime) -> Q:
    return Q(created_at__gte=since) & (
        Q(status=NotificationStatus.FAILED)
        | Q(status=NotificationStatus.PENDING, attempts__gte=RETRYING_AFTER_ATTEMPTS)
    )


def failing_notifications_by_channel(*, since_hours: int = WINDOW_HOURS) -> FailureReport:
    """Notifications created within the last `since_hours` that failed for good, or are
    pending after `RETRYING_AFTER_ATTEMPTS` failed attempts, per channel; one query."""
    failing = _failing(clock.now() - dt.timedelta(hours=since_hours))
    newest_error = (
        Notification.objects.filter(failing, channel=OuterRef("channel"))
        .order_by("-created_at", "-id")
        .values("last_error")[:1]
    )
    rows = (
        Notification.objects.filter(failing)
        .values("channel")
        .annotate(
            failed=Count("id", filter=Q(status=NotificationStatus.FAILED)),
            retrying=Count("id", filter=Q(status=NotificationStatus.PENDING)),
            last_created_at=Max("created_at"),
            last_error=Subquery(newest_error),
        )
        .order_by("channel")
    )
    return FailureReport(
        channels=tuple(
            ChannelFailures(
                channel=row["channel"],
                failed=row["failed"],
                retrying=row["retrying"],
                last_error=row["last_error"] or "",
                last_created_at=row["last_created_at"],
            )
            for row in rows
        )
    )


def failing_notifications(*, since_hours: int = WINDOW_HOURS) -> int:
    """How many notifications of the last `since_hours` failed or keep failing (all channels)."""
    return failing_notifications_by_channel(since_hours=since_hours).total


def failing_notifications_cached() -> FailureReport:
    """`failing_notifications_by_channel` as of at most `CACHE_SECONDS` ago (the Django cache:
    per process, or shared through Redis), for what every page of an administrator shows."""
    report = cache.get(CACHE_KEY)
    if not isinstance(report, FailureReport):
        report = failing_notifications_by_channel()
        cache.set(CACHE_KEY, report, CACHE_SECONDS)
    return report
