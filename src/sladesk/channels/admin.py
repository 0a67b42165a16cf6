from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _

from sladesk.accounts.models import User
from sladesk.channels.models import AlertSource, InboundAlert, InboundMail, Mailbox
from sladesk.channels.monitoring.services import alert_source_issue_token, inbound_alert_reprocess
from sladesk.channels.services import inbound_mail_reprocess
from sladesk.core.admin import ReadOnlyAdmin
from sladesk.core.errors import DomainError


def _reprocess_each(
    model_admin: admin.ModelAdmin[Any],
    request: HttpRequest,
    queryset: QuerySet[Any],
    reprocess: Callable[[User, int], object],
) -> None:
    """Send each selected row through intake again; a refusal is said, the rest go on."""
    actor = request.user
    assert isinstance(actor, User)  # noqa: S101  # the admin site signs people in
    for row in queryset:
        try:
            reprocess(actor, row.pk)
        except DomainError as error:
            model_admin.message_user(request, f"{row}: {error.message}", messages.WARNING)


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

    list_display = (
        "received_at",
        "sender",
        "subject",
        "status",
        "reason",
        "authentication",
        "sender_vouched",
        "ticket",
    )
    list_filter = ("status", "source", "mailbox", "sender_vouched")
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
        _reprocess_each(
            self,
            request,
            queryset,
            lambda actor, pk: inbound_mail_reprocess(actor=actor, inbound_mail_id=pk),
        )
        return None


@admin.register(AlertSource)
class AlertSourceAdmin(admin.ModelAdmin):
    """Monitoring systems and the organisation each opens incidents for."""

    list_display = ("name", "organisation", "service", "token_prefix", "last_received_at")
    list_filter = ("is_active", "organisation")
    readonly_fields = ("token_prefix", "created_at", "last_received_at")
    exclude = ("token_digest",)
    actions = ["issue_token"]

    def get_readonly_fields(self, request: HttpRequest, obj: AlertSource | None = None) -> Any:
        # A source serves one organisation for good: its alerts' incidents are that
        # organisation's. Another organisation's monitoring is another source.
        fields = super().get_readonly_fields(request, obj)
        return (*fields, "organisation") if obj is not None else fields

    @admin.action(description=_("Issue a new token (the old one stops working)"))
    def issue_token(
        self, request: HttpRequest, queryset: QuerySet[AlertSource]
    ) -> HttpResponse | None:
        for source in queryset:
            token = alert_source_issue_token(actor=request.user, source_id=source.pk)  # type: ignore[arg-type]
            self.message_user(
                request,
                _("Token of %(source)s, shown only now: %(token)s")
                % {"source": source, "token": token},
                messages.SUCCESS,
            )
        return None


@admin.register(InboundAlert)
class InboundAlertAdmin(ReadOnlyAdmin):
    """Alerts as received, and what became of each."""

    list_display = ("received_at", "source", "title", "alert_status", "status", "reason", "ticket")
    list_filter = ("status", "alert_status", "source")
    search_fields = ("fingerprint", "title")
    actions = ["reprocess"]

    @admin.action(description=_("Reprocess the selected alerts"))
    def reprocess(
        self, request: HttpRequest, queryset: QuerySet[InboundAlert]
    ) -> HttpResponse | None:
        _reprocess_each(
            self,
            request,
            queryset,
            lambda actor, pk: inbound_alert_reprocess(actor=actor, inbound_alert_id=pk),
        )
        return None
