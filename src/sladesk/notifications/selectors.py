"""What a person reads in the desk: their own in-desk notifications, newest first."""

from __future__ import annotations

from django.db.models import QuerySet

from sladesk.accounts.models import User
from sladesk.notifications.choices import DeliveryChannel
from sladesk.notifications.models import Notification


def notifications_of(*, user: User, unread_only: bool = False) -> QuerySet[Notification]:
    """`user`'s notifications in the desk (nobody else's), newest first, with their tickets."""
    rows = Notification.objects.filter(user=user, channel=DeliveryChannel.DESK)
    if unread_only:
        rows = rows.filter(read_at=None)
    return rows.select_related("ticket").order_by("-created_at", "-id")


def notifications_unread_count(*, user: User) -> int:
    return Notification.objects.filter(
        user=user, channel=DeliveryChannel.DESK, read_at=None
    ).count()
