"""The caller's notifications in the desk (the bell)."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field

from sladesk.api.auth import actor, writer
from sladesk.notifications import selectors, services
from sladesk.notifications.models import Notification
from sladesk.notifications.rendering import summary_in

router = Router(tags=["notifications"])


class NotificationOut(Schema):
    id: int
    kind: str
    ticket_id: int | None
    created_at: dt.datetime
    read_at: dt.datetime | None
    text: str


class NotificationList(Schema):
    items: list[NotificationOut]
    unread: int


class MarkedOut(Schema):
    marked: int


class ListFilter(Schema):
    unread: bool = False
    limit: int = Field(50, ge=1, le=200)


def _out(row: Notification, language: str) -> NotificationOut:
    return NotificationOut(
        id=row.pk,
        kind=row.kind,
        ticket_id=row.ticket_id,
        created_at=row.created_at,
        read_at=row.read_at,
        text=summary_in(row, language),
    )


@router.get("/notifications", response=NotificationList)
def notification_list(request: HttpRequest, filters: Query[ListFilter]) -> NotificationList:
    """The caller's notifications, newest first, each in the caller's language."""
    user = actor(request)
    rows = selectors.notifications_of(user=user, unread_only=filters.unread)[: filters.limit]
    return NotificationList(
        items=[_out(row, user.language) for row in rows],
        unread=selectors.notifications_unread_count(user=user),
    )


@router.post("/notifications/read-all", response=MarkedOut)
def notification_read_all(request: HttpRequest) -> MarkedOut:
    return MarkedOut(marked=services.notifications_mark_all_read(actor=writer(request)))


@router.post("/notifications/{notification_id}/read", response=NotificationOut)
def notification_read(request: HttpRequest, notification_id: int) -> NotificationOut:
    user = writer(request)
    row = services.notification_mark_read(actor=user, notification_id=notification_id)
    return _out(row, user.language)
