"""The forms of the knowledge base pages: an article, the list's filters, a review, a
customer's configuration. The services check every rule; these forms only parse."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from sladesk.knowledge.choices import ArticleLanguage, ArticleStatus, Audience
from sladesk.knowledge.models import CONFIGURATION_FIELDS, CustomerConfiguration
from sladesk.knowledge.services import BODY_LIMIT, CONFIGURATION_LIMIT, TITLE_LIMIT
from sladesk.web.forms import Choices, Form, _choices

# A little over the services' limits: a text just over one is the service's clear error,
# not the form's terse one.
SLACK = 1_000


class ArticleForm(Form):
    """An article as the support team writes it; `version` is the one the form was loaded
    with, so that a save over someone else's edit is refused."""

    title = forms.CharField(label=_("Title"), max_length=TITLE_LIMIT + SLACK)
    body = forms.CharField(
        label=_("Text (Markdown)"),
        required=False,
        strip=False,
        max_length=BODY_LIMIT + SLACK,
        widget=forms.Textarea(attrs={"rows": 18, "class": "markdown"}),
    )
    language = forms.ChoiceField(label=_("Language"), choices=ArticleLanguage.choices)
    audience = forms.ChoiceField(label=_("Audience"), choices=Audience.choices)
    organisation = forms.TypedChoiceField(
        label=_("Organisation"), required=False, coerce=int, empty_value=None
    )
    status = forms.ChoiceField(label=_("Status"), choices=ArticleStatus.choices)
    category = forms.TypedChoiceField(
        label=_("Category"), required=False, coerce=int, empty_value=None
    )
    owner = forms.TypedChoiceField(label=_("Owner"), required=False, coerce=int, empty_value=None)
    review_on = forms.DateField(
        label=_("Review by"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    tags = forms.CharField(
        label=_("Tags"),
        required=False,
        max_length=2000,
        help_text=_("Separated by commas or spaces."),
    )
    services = forms.TypedMultipleChoiceField(
        label=_("Services"),
        required=False,
        coerce=int,
        widget=forms.SelectMultiple(attrs={"size": 5}),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0)

    def __init__(self, *args: Any, options: dict[str, Choices], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("organisation", "category", "owner"):
            _choices(self.fields[name], options[name])
        self.fields["services"].choices = options["services"]  # type: ignore[attr-defined]  # a ChoiceField

    def audience_value(self) -> str:
        """The audience the form shows (what was posted, else what it started with)."""
        return str(self["audience"].value() or "")


class ArticleFilterForm(Form):
    """The list's filters; anything unknown is ignored rather than an error."""

    q = forms.CharField(label=_("Search"), required=False, max_length=200)
    status = forms.ChoiceField(label=_("Status"), required=False)
    audience = forms.ChoiceField(label=_("Audience"), required=False)
    language = forms.ChoiceField(label=_("Language"), required=False)
    category = forms.TypedChoiceField(
        label=_("Category"), required=False, coerce=int, empty_value=None
    )
    stale = forms.BooleanField(label=_("To review only"), required=False)

    def __init__(self, *args: Any, categories: Choices, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        any_ = str(_("Any"))
        _choices(self.fields["status"], ArticleStatus.choices, blank=any_)
        _choices(self.fields["audience"], Audience.choices, blank=any_)
        _choices(self.fields["language"], ArticleLanguage.choices, blank=any_)
        _choices(self.fields["category"], categories, blank=any_)


class ReviewForm(Form):
    review_on = forms.DateField(
        label=_("Next review by"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )


class ResolveWithArticleForm(Form):
    resolution = forms.CharField(
        label=_("Resolution"), max_length=20_000, widget=forms.Textarea(attrs={"rows": 3})
    )


class ConfigurationForm(Form):
    """A customer's configuration; `version` as loaded (0: never written)."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in CONFIGURATION_FIELDS:
            self.fields[name] = forms.CharField(
                label=configuration_label(name),
                required=False,
                max_length=CONFIGURATION_LIMIT + SLACK,
                widget=forms.Textarea(attrs={"rows": 4}),
            )


def configuration_label(name: str) -> str:
    """The label of a configuration field, as its model names it."""
    field = CustomerConfiguration._meta.get_field(name)
    return capfirst(str(getattr(field, "verbose_name", name)))
