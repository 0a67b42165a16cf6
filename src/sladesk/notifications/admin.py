from __future__ import annotations

from django.contrib import admin

from sladesk.core.admin import ReadOnlyAdmin
from sladesk.notifications.models import Notification


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "kind", "recipient", "ticket", "status", "attempts", "sent_at")
    list_filter = ("status", "kind", "channel")
    search_fields = ("recipient", "message_id", "ticket__number")
