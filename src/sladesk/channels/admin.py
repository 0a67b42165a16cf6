from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _

from sladesk.channels.models import InboundMail, Mailbox
from sladesk.channels.services import inbound_mail_reprocess
from sladesk.core.admin import ReadOnlyAdmin
from sladesk.core.errors import DomainError


@admin.register(Mailbox)
class MailboxAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "address",
        "host",
        "folder",
        "unknown_sender_policy",
        "authserv_id",
        "is_active",
    )
    readonly_fields = ("last_polled_at", "last_error")


@admin.register(InboundMail)
class InboundMailAdmin(ReadOnlyAdmin):
    """Received mail with its raw bytes; quarantined messages can be reprocessed."""

    list_display = ("received_at", "sender", "subject", "status", "reason", "ticket")
    list_filter = ("status", "source", "mailbox")
    search_fields = ("sender", "subject", "message_id")
    readonly_fields = ("raw_text",)
    exclude = ("raw",)
    actions = ["reprocess"]

    @admin.display(description=_("raw message"))
    def raw_text(self, obj: InboundMail) -> str:
        return bytes(obj.raw).decode("utf-8", errors="replace")

    @admin.action(description=_("Reprocess the selected messages"))
    def reprocess(
        self, request: HttpRequest, queryset: QuerySet[InboundMail]
    ) -> HttpResponse | None:
        for mail in queryset:
            try:
                inbound_mail_reprocess(actor=request.user, inbound_mail_id=mail.pk)  # type: ignore[arg-type]
            except DomainError as error:
                self.message_user(request, f"{mail}: {error.message}", messages.WARNING)
        return None

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
