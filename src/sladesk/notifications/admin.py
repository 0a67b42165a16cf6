from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from sladesk.core.admin import ReadOnlyAdmin
from sladesk.notifications.chat import chat_url_check
from sladesk.notifications.choices import DeliveryChannel, DeliveryMode
from sladesk.notifications.models import ChatTarget, Notification, NotificationDefault


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "kind", "recipient", "ticket", "status", "attempts", "sent_at")
    list_filter = ("status", "kind", "channel")
    search_fields = ("recipient", "message_id", "ticket__number")


class ChatTargetForm(forms.ModelForm):
    class Meta:
        model = ChatTarget
        fields = ["user", "line", "url", "label", "is_active"]

    def clean_url(self) -> str:
        return chat_url_check(
            self.cleaned_data["url"], allow_private=settings.SLADESK_CHAT_ALLOW_PRIVATE
        )

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        if (cleaned.get("user") is None) == (cleaned.get("line") is None):
            raise forms.ValidationError(_("Choose a person or a support line, not both."))
        return cleaned


@admin.register(ChatTarget)
class ChatTargetAdmin(admin.ModelAdmin):
    """Chat destinations of people and lines; the URL is checked as on the person's page."""

    form = ChatTargetForm
    list_display = ("__str__", "user", "line", "is_active", "created_at")
    list_filter = ("is_active", "line")
    search_fields = ("label", "user__email")
    raw_id_fields = ("user",)


class NotificationDefaultForm(forms.ModelForm):
    class Meta:
        model = NotificationDefault
        fields = ["role", "kind", "channel", "mode"]

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        # The changelist edits the mode alone: the channel is then the row's.
        channel = cleaned.get("channel") or self.instance.channel
        if channel == DeliveryChannel.DESK and cleaned.get("mode") == DeliveryMode.OFF:
            raise forms.ValidationError(
                _("Notifications always appear in the desk; they cannot be turned off there.")
            )
        return cleaned


@admin.register(NotificationDefault)
class NotificationDefaultAdmin(admin.ModelAdmin):
    """When people of each role hear of each kind, unless they chose otherwise."""

    form = NotificationDefaultForm
    list_display = ("role", "kind", "channel", "mode")
    list_editable = ("mode",)
    list_filter = ("role", "channel", "mode")

    def get_changelist_form(self, request: HttpRequest, **kwargs: Any) -> type[forms.ModelForm]:
        return super().get_changelist_form(request, form=NotificationDefaultForm, **kwargs)
