from __future__ import annotations

import zoneinfo
from collections.abc import Mapping
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.forms.utils import flatatt
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from sladesk.accounts import signin
from sladesk.accounts.models import ApiToken, User
from sladesk.accounts.selectors import account_access_denial
from sladesk.core.errors import DomainError
from sladesk.tickets.choices import Level, Priority


class ThrottledSignIn(AuthenticationForm):
    """Sign-in that stops answering password guesses once too many failed (accounts/signin.py)."""

    def clean(self) -> dict[str, Any]:
        if self.request is None:
            return super().clean()
        key = signin.account_key(str(self.data.get("username", "")))
        refusal = signin.sign_in_attempt(self.request, key)
        if refusal:
            raise forms.ValidationError(refusal, code="throttled")
        cleaned = super().clean()  # a wrong password raises: the attempt stays counted
        signin.sign_in_succeeded(self.request, key)
        return cleaned


class AdminLoginForm(ThrottledSignIn, AdminAuthenticationForm):
    """The admin site's sign-in, under the same limits."""


class LoginForm(ThrottledSignIn):
    """Sign-in that tells a blocked customer why (their contract), not just "invalid"."""

    username = forms.EmailField(
        label=_("E-mail"),
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "username"}),
    )
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def confirm_login_allowed(self, user: Any) -> None:
        assert isinstance(user, User)  # noqa: S101  # AUTH_USER_MODEL
        denial = account_access_denial(user)
        if denial:
            raise forms.ValidationError(denial, code="blocked")


class Select(forms.Select):
    """A select that writes its options in Python. Django renders every option through a
    template include of its own, which made the filter and bulk selects more than a third
    of a queue page's time (and the time-zone select has some 600 options). Option groups
    fall back to Django's rendering."""

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        if any(isinstance(label, list | tuple) for _value, label in self.choices):
            return super().render(name, value, attrs, renderer)
        final_attrs = {**self.build_attrs(self.attrs, attrs), "name": name}
        chosen = self.format_value(value)
        options = format_html_join(
            "",
            '<option value="{}"{}>{}</option>',
            (
                (option, _SELECTED if str(option) in chosen else "", label)
                for option, label in self.choices
            ),
        )
        return format_html("<select{}>{}</select>", flatatt(final_attrs), options)


_SELECTED = SafeString(" selected")


class Form(forms.Form):
    """The desk's forms: their plain selects render through `Select`."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if type(field.widget) is forms.Select:
                field.widget = Select(attrs=field.widget.attrs, choices=field.widget.choices)


class TicketForm(Form):
    title = forms.CharField(label=_("Title"), max_length=300)
    description = forms.CharField(label=_("Description"), widget=forms.Textarea, required=False)
    service = forms.TypedChoiceField(
        label=_("Service"), required=False, coerce=int, empty_value=None
    )
    ticket_class = forms.TypedChoiceField(
        label=_("Classification"), required=False, coerce=int, empty_value=None
    )

    def __init__(
        self,
        *args: Any,
        services: list[tuple[int, str]],
        classes: list[tuple[int, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        _choices(self.fields["service"], services)
        _choices(self.fields["ticket_class"], classes)


class CommentForm(Form):
    body = forms.CharField(label=_("Message"), widget=forms.Textarea(attrs={"rows": 4}))
    internal = forms.BooleanField(label=_("Internal note"), required=False)


Choices = list[tuple[Any, Any]]  # labels may be lazy translations


def _choices(field: forms.Field, options: Choices, *, blank: str | None = "—") -> None:
    field.choices = ([("", blank)] if blank is not None else []) + list(options)  # type: ignore[attr-defined]  # a ChoiceField


class QueueFilterForm(Form):
    """The queue's filters; anything unknown is ignored rather than an error."""

    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    status = forms.ChoiceField(label=_("Status"), required=False)
    organisation = forms.TypedChoiceField(
        label=_("Organisation"), required=False, coerce=int, empty_value=None
    )
    service = forms.TypedChoiceField(
        label=_("Service"), required=False, coerce=int, empty_value=None
    )
    ticket_class = forms.TypedChoiceField(
        label=_("Classification"), required=False, coerce=int, empty_value=None
    )
    priority = forms.ChoiceField(label=_("Priority"), required=False)
    line = forms.TypedChoiceField(label=_("Line"), required=False, coerce=int, empty_value=None)
    sla = forms.ChoiceField(label=_("SLA"), required=False)
    order = forms.ChoiceField(label=_("Order"), required=False)

    def __init__(self, *args: Any, options: dict[str, Choices], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, choices in options.items():
            _choices(self.fields[name], choices, blank=str(_("Any")) if name != "order" else None)
        for name in list(self.fields):
            if name not in options and name != "q":
                del self.fields[name]


class BulkForm(Form):
    tickets = forms.TypedMultipleChoiceField(label=_("Tickets"), coerce=int)
    operation = forms.ChoiceField(label=_("Bulk action"))
    assignee = forms.TypedChoiceField(
        label=_("Assignee"), required=False, coerce=int, empty_value=None
    )
    text = forms.CharField(label=_("Comment or reason"), required=False, max_length=2000)

    def __init__(self, *args: Any, ticket_ids: list[int], agents: Choices, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["tickets"].choices = [(pk, str(pk)) for pk in ticket_ids]  # type: ignore[attr-defined]  # a ChoiceField
        _choices(
            self.fields["operation"],
            [
                ("assign", _("Assign")),
                ("unassign", _("Unassign")),
                ("resolve", _("Resolve")),
                ("close", _("Close")),
                ("cancel", _("Cancel")),
            ],
            blank=None,
        )
        _choices(self.fields["assignee"], agents)


class PhoneTicketForm(Form):
    """An agent records a call on the customer's behalf (the official time is the server's)."""

    organisation = forms.TypedChoiceField(label=_("Organisation"), coerce=int)
    requester = forms.TypedChoiceField(
        label=_("Caller's account"), required=False, coerce=int, empty_value=None
    )
    contact = forms.CharField(label=_("Contact"), required=False, max_length=300)
    service = forms.TypedChoiceField(
        label=_("Service"), required=False, coerce=int, empty_value=None
    )
    ticket_class = forms.TypedChoiceField(
        label=_("Classification"), required=False, coerce=int, empty_value=None
    )
    title = forms.CharField(label=_("Title"), max_length=300)
    description = forms.CharField(label=_("Description"), widget=forms.Textarea, required=False)

    def __init__(self, *args: Any, options: dict[str, Choices], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, choices in options.items():
            _choices(self.fields[name], choices)


class ReplyForm(Form):
    body = forms.CharField(label=_("Message"), widget=forms.Textarea(attrs={"rows": 4}))


class ReasonForm(Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))


class OptionalCommentForm(Form):
    comment = forms.CharField(
        label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class ClassifyForm(Form):
    ticket_class = forms.TypedChoiceField(label=_("Classification"), coerce=int)
    severity = forms.TypedChoiceField(
        label=_("Severity"), required=False, coerce=int, empty_value=None
    )
    impact = forms.ChoiceField(
        label=_("Impact"), required=False, choices=[("", "—"), *Level.choices]
    )
    urgency = forms.ChoiceField(
        label=_("Urgency"), required=False, choices=[("", "—"), *Level.choices]
    )

    def __init__(self, *args: Any, classes: Choices, severities: Choices, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choices(self.fields["ticket_class"], classes)
        _choices(self.fields["severity"], severities)


class ProposeForm(Form):
    ticket_class = forms.TypedChoiceField(
        label=_("New classification"), required=False, coerce=int, empty_value=None
    )
    severity = forms.TypedChoiceField(
        label=_("New severity"), required=False, coerce=int, empty_value=None
    )
    priority = forms.ChoiceField(
        label=_("New priority"), required=False, choices=[("", "—"), *Priority.choices]
    )
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, classes: Choices, severities: Choices, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choices(self.fields["ticket_class"], classes)
        _choices(self.fields["severity"], severities)


class AssignForm(Form):
    assignee = forms.TypedChoiceField(
        label=_("Assignee"), required=False, coerce=int, empty_value=None
    )

    def __init__(self, *args: Any, agents: Choices, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choices(self.fields["assignee"], agents, blank=str(_("Nobody")))


class EscalateForm(Form):
    line = forms.TypedChoiceField(label=_("To line"), coerce=int)
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))
    assignee = forms.TypedChoiceField(
        label=_("To"),
        required=False,
        coerce=int,
        empty_value=None,
        help_text=_("Nobody chosen: the line's rule picks, or the ticket waits in its queue."),
    )

    def __init__(self, *args: Any, lines: Choices, agents: Choices, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choices(self.fields["line"], lines)
        _choices(self.fields["assignee"], agents, blank=str(_("By the line's rule")))


class ProposeExternalForm(Form):
    line = forms.TypedChoiceField(label=_("External vendor's line"), coerce=int)
    reason = forms.CharField(
        label=_("Why the vendor is needed"), widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, lines: Choices, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choices(self.fields["line"], lines)


class AttentionForm(Form):
    reason = forms.CharField(
        label=_("Why the lead is needed"), widget=forms.Textarea(attrs={"rows": 2})
    )


class DecisionNoteForm(Form):
    note = forms.CharField(label=_("What you decided"), widget=forms.Textarea(attrs={"rows": 2}))


class ExternalCaseForm(Form):
    """An exchange with the external vendor; `case` is empty to open a new case."""

    case = forms.TypedChoiceField(label=_("Case"), required=False, coerce=int, empty_value=None)
    vendor = forms.CharField(label=_("Vendor"), required=False, max_length=200)
    reference = forms.CharField(label=_("Their reference"), required=False, max_length=200)
    status = forms.ChoiceField(label=_("Status"), required=False)
    follow_up_on = forms.DateField(
        label=_("Next follow-up"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    note = forms.CharField(
        label=_("What was sent or answered"), widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, cases: Choices, statuses: Choices, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choices(self.fields["case"], cases, blank=str(_("A new case")))
        _choices(self.fields["status"], statuses, blank="—")


class NoteForm(Form):
    note = forms.CharField(
        label=_("Where and how it was reproduced"), widget=forms.Textarea(attrs={"rows": 2})
    )


class QuestionForm(Form):
    question = forms.CharField(
        label=_("What do you need from the customer?"), widget=forms.Textarea(attrs={"rows": 3})
    )


class ResolutionForm(Form):
    resolution = forms.CharField(label=_("Resolution"), widget=forms.Textarea(attrs={"rows": 3}))


class WatcherForm(Form):
    person = forms.TypedChoiceField(label=_("Person"), coerce=int)
    watching = forms.TypedChoiceField(
        label=_("Watching"),
        coerce=lambda value: value == "1",
        choices=[("1", _("Add")), ("0", _("Remove"))],
    )

    def __init__(self, *args: Any, people: Choices, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choices(self.fields["person"], people)


class ParentForm(Form):
    parent = forms.CharField(
        label=_("Parent ticket number"),
        required=False,
        max_length=30,
        help_text=_("Leave empty to unlink."),
    )


class PreferencesForm(Form):
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)
    time_zone = forms.ChoiceField(label=_("Time zone"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["time_zone"].choices = [  # type: ignore[attr-defined]  # a ChoiceField
            (name, name) for name in sorted(zoneinfo.available_timezones())
        ]


class TokenForm(Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    scope = forms.ChoiceField(label=_("Scope"), choices=ApiToken.Scope.choices)


class RevokeForm(Form):
    token = forms.IntegerField(widget=forms.HiddenInput)


def add_domain_error(
    form: forms.Form,
    error: DomainError,
    *,
    names: Mapping[str, str] | None = None,
    default: str | None = None,
) -> None:
    """A service's error on the field it names (as the form calls it: `names` maps the
    service's names to the form's), else on `default` (None: the whole form)."""
    name = (names or {}).get(error.field or "", error.field)
    form.add_error(name if name in form.fields else default, error.message)
