"""The signed-in person's notification settings: when they hear of each kind by e-mail and
in chat, and their chat targets (and those of the lines they lead)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from sladesk.accounts.models import SupportLine, User
from sladesk.core.errors import DomainError
from sladesk.notifications import chat, preferences
from sladesk.notifications.choices import DeliveryMode
from sladesk.web.common import actor_of, domain_errors_as_404
from sladesk.web.forms import add_domain_error


class ChatTargetForm(forms.Form):
    url = forms.CharField(
        label=gettext_lazy("Apprise URL"),
        max_length=2000,
        help_text=gettext_lazy(
            "For example tgram://bot-token/chat-id or slack://token-a/token-b/token-c."
        ),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    label = forms.CharField(label=gettext_lazy("Label"), max_length=100, required=False)
    line = forms.ModelChoiceField(
        label=gettext_lazy("For"),
        queryset=SupportLine.objects.none(),
        required=False,
        empty_label=gettext_lazy("me"),
    )

    def __init__(self, *args: Any, actor: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        lines = chat.chat_lines_managed_by(actor=actor)
        if lines.exists():
            self.fields["line"].queryset = lines  # type: ignore[attr-defined]  # a ModelChoiceField
        else:
            del self.fields["line"]


class RemoveTargetForm(forms.Form):
    target = forms.IntegerField(min_value=1)


def _page(
    request: HttpRequest,
    *,
    chat_form: ChatTargetForm | None = None,
    modes: dict[str, dict[str, str]] | None = None,
    grid_error: str = "",
) -> HttpResponse:
    user = actor_of(request)
    targets = list(chat.chat_targets_for(actor=user))
    return render(
        request,
        "web/notification_settings.html",
        {
            "grid": preferences.grid_describe(
                vendor_side=user.is_vendor_staff,
                modes=modes if modes is not None else preferences.modes_of(user=user),
            ),
            "channels": preferences.GRID_CHANNELS,
            "mode_choices": DeliveryMode.choices,
            "grid_error": grid_error,
            "targets": [(target, target.url.split("://", 1)[0]) for target in targets],
            "chat_form": chat_form or ChatTargetForm(actor=user),
        },
    )


@login_required
def notification_settings(request: HttpRequest) -> HttpResponse:
    """The page; a POST saves the whole grid of kinds and channels at once."""
    if request.method != "POST":
        return _page(request)
    user = actor_of(request)
    names = {
        preferences.cell_name(row.kind, cell.channel): (row.kind, cell.channel)
        for row in preferences.grid_describe(vendor_side=user.is_vendor_staff, modes={})
        for cell in row.cells
    }
    choices = {key: request.POST[name] for name, key in names.items() if name in request.POST}
    try:
        written = preferences.preferences_save(actor=user, choices=choices)
    except ValidationError as error:
        submitted: dict[str, dict[str, str]] = {}
        for (kind, channel), mode in choices.items():
            submitted.setdefault(kind, {})[channel] = mode
        return _page(request, modes=submitted, grid_error=" ".join(error.messages))
    if written:
        messages.success(request, _("Your notification settings are saved."))
    else:
        messages.info(request, _("Nothing changed."))
    return redirect("web:notification_settings")


@login_required
@require_POST
@domain_errors_as_404
def notification_chat(request: HttpRequest) -> HttpResponse:
    """Add a chat target (`action=add`) or remove one (`action=remove`)."""
    user = actor_of(request)
    if request.POST.get("action") == "remove":
        removal = RemoveTargetForm(request.POST)
        if not removal.is_valid():
            raise Http404
        chat.chat_target_remove(actor=user, target_id=removal.cleaned_data["target"])
        messages.success(request, _("The chat target is removed."))
        return redirect("web:notification_settings")
    form = ChatTargetForm(request.POST, actor=user)
    if form.is_valid():
        try:
            chat.chat_target_add(
                actor=user,
                url=form.cleaned_data["url"],
                label=form.cleaned_data["label"],
                line=form.cleaned_data.get("line"),
            )
        except ValidationError as error:
            form.add_error("url", error)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, _("The chat target is added."))
            return redirect("web:notification_settings")
    return _page(request, chat_form=form)
