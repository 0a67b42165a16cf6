"""The forms of the release pages and of the ticket page's release box. The services check
every rule (dates in the past, statuses, versions taken); these forms only parse."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from sladesk.releases.choices import SETTABLE_STATUSES, ReleaseStatus
from sladesk.releases.services import MAX_NAME, MAX_NOTES, MAX_VERSION
from sladesk.web.forms import Choices, Form, _choices

# A little over the services' limits: a text just over one is the service's clear error,
# not the form's terse one.
SLACK = 1_000
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ReleaseFilterForm(Form):
    """The list's filters; anything unknown is ignored rather than an error."""

    service = forms.TypedChoiceField(
        label=_("Service"), required=False, coerce=int, empty_value=None
    )
    status = forms.ChoiceField(label=_("Status"), required=False)

    def __init__(self, *args: Any, services: Choices, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        any_ = str(_("Any"))
        _choices(self.fields["service"], services, blank=any_)
        _choices(self.fields["status"], ReleaseStatus.choices, blank=any_)


class NotesForm(Form):
    """Release notes in one language at a time."""

    notes = forms.CharField(
        label=_("Release notes (Markdown)"),
        required=False,
        strip=False,
        max_length=MAX_NOTES + SLACK,
        widget=forms.Textarea(attrs={"rows": 10, "class": "markdown"}),
    )
    language = forms.ChoiceField(label=_("Language of the notes"), choices=settings.LANGUAGES)


class ReleaseForm(NotesForm):
    """A new release of a service."""

    service = forms.TypedChoiceField(label=_("Service"), coerce=int)
    version = forms.CharField(label=_("Version"), max_length=MAX_VERSION + SLACK)
    name = forms.CharField(label=_("Name"), required=False, max_length=MAX_NAME + SLACK)
    planned_on = forms.DateField(label=_("Planned for"), widget=DATE)
    personal = forms.BooleanField(
        label=_("A personal delivery: only the service's organisation sees it"), required=False
    )
    resolve_on_ship = forms.BooleanField(
        label=_("Resolve the tickets it carries when it ships"), required=False
    )

    field_order = (
        "service",
        "version",
        "name",
        "planned_on",
        "personal",
        "resolve_on_ship",
        "language",
        "notes",
    )

    def __init__(self, *args: Any, services: Choices, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choices(self.fields["service"], services)


class ReleaseEditForm(NotesForm):
    """What the detail page changes: the name, the date, the status and the notes (in one
    language at a time)."""

    name = forms.CharField(label=_("Name"), required=False, max_length=MAX_NAME + SLACK)
    planned_on = forms.DateField(label=_("Planned for"), widget=DATE)
    status = forms.ChoiceField(
        label=_("Status"),
        # Shipping alone makes a release released.
        choices=[
            (value, label) for value, label in ReleaseStatus.choices if value in SETTABLE_STATUSES
        ],
    )

    field_order = ("name", "planned_on", "status", "language", "notes")

    def __init__(self, *args: Any, final: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if final:  # a shipped or cancelled release changes its name and notes alone
            del self.fields["planned_on"]
            del self.fields["status"]


class ShipForm(Form):
    confirm = forms.BooleanField(label=_("Yes, ship it now"))


class TicketReleaseForm(Form):
    """The ticket page's choice: one of the open releases of its service, or none."""

    release = forms.TypedChoiceField(
        label=_("Planned for"), required=False, coerce=int, empty_value=None
    )

    def __init__(self, *args: Any, releases: Choices, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choices(self.fields["release"], releases, blank=str(_("Not planned")))
