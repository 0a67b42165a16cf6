"""The workspace's problems (the support team only): the list with what recurs, one problem
with its steps, incidents and history."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import wraps
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from sladesk.core.errors import DomainError, NotFound
from sladesk.knowledge.selectors import problem_articles
from sladesk.problems import selectors, services
from sladesk.problems.choices import ProblemStatus
from sladesk.problems.lifecycle import Action, allowed_actions
from sladesk.tickets.selectors import ticket_ids_visible_by_number
from sladesk.web.common import actor_of, domain_errors_as_404, vendor_only
from sladesk.web.forms import Form

# Each step's button and the label of its text (the workaround, the fix, why it closes).
STEPS = {
    Action.ANALYSE: (gettext_lazy("Start analysing"), gettext_lazy("Notes (optional)")),
    Action.KNOWN_ERROR: (gettext_lazy("Record the workaround"), gettext_lazy("Workaround")),
    Action.FIX: (gettext_lazy("Record the fix"), gettext_lazy("Permanent fix")),
    Action.CLOSE: (gettext_lazy("Close the problem"), gettext_lazy("Why it is closed")),
    Action.REOPEN: (gettext_lazy("Reopen the problem"), gettext_lazy("Notes (optional)")),
}
NUMBERS = re.compile(r"[\w-]+")


class ProblemForm(Form):
    title = forms.CharField(label=gettext_lazy("Title"), max_length=200)
    description = forms.CharField(
        label=gettext_lazy("Description"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=20_000,
    )
    tickets = forms.CharField(
        label=gettext_lazy("Incidents (ticket numbers)"), required=False, max_length=2000
    )


class StepForm(Form):
    text = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=20_000
    )


class LinkForm(Form):
    ticket = forms.CharField(label=gettext_lazy("Ticket number"), max_length=40)


def _ticket_ids(request: HttpRequest, numbers: str) -> list[int]:
    """The tickets of the numbers typed; a number that names none is a form error."""
    wanted = set(NUMBERS.findall(numbers.upper()))
    found = ticket_ids_visible_by_number(user=actor_of(request), numbers=wanted)
    missing = sorted(wanted - set(found))
    if missing:
        raise forms.ValidationError(
            _("No such ticket: %(numbers)s") % {"numbers": ", ".join(missing)}
        )
    return list(found.values())


@login_required
@vendor_only
def problem_list(request: HttpRequest) -> HttpResponse:
    user = actor_of(request)
    form = ProblemForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            ticket_ids = _ticket_ids(request, form.cleaned_data["tickets"])
            problem = services.problem_register(
                actor=user,
                data=services.ProblemRegistration(
                    title=form.cleaned_data["title"],
                    description=form.cleaned_data["description"],
                ),
                ticket_ids=ticket_ids,
            )
        except forms.ValidationError as error:
            form.add_error("tickets", error)
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(
                request, _("Problem %(number)s registered.") % {"number": problem.number}
            )
            return redirect("web:problem_detail", problem_id=problem.pk)
    status = request.GET.get("status", "")  # one that is none of the statuses finds nothing
    context = {
        "problems": selectors.problem_list(user=user, status=status)[:200],
        "statuses": ProblemStatus.choices,
        "status": status,
        "candidates": selectors.problem_candidates(user=user),
        "form": form,
    }
    return render(request, "web/problem_list.html", context)


@login_required
@vendor_only
@domain_errors_as_404
def problem_detail(request: HttpRequest, problem_id: int) -> HttpResponse:
    user = actor_of(request)
    problem = selectors.problem_get(user=user, problem_id=problem_id)
    steps = [(action.value, *STEPS[action]) for action in allowed_actions(problem.status)]
    context = {
        "problem": problem,
        "incidents": selectors.problem_incidents(user=user, problem=problem).order_by("pk"),
        "events": selectors.problem_history(problem=problem),
        "steps": steps,
        "link_form": LinkForm(),
        "articles": problem_articles(user=user, problem=problem),
    }
    return render(request, "web/problem_detail.html", context)


def problem_post(view: Callable[..., None]) -> Callable[..., HttpResponseBase]:
    """A POST on one problem: signed in, of the support team, the problem found (404) before
    anything else; back to the problem's page after."""

    @login_required
    @vendor_only
    @require_POST
    @domain_errors_as_404
    @wraps(view)
    def wrapper(request: HttpRequest, problem_id: int, **kwargs: Any) -> HttpResponseBase:
        selectors.problem_get(user=actor_of(request), problem_id=problem_id)
        view(request, problem_id, **kwargs)
        return redirect("web:problem_detail", problem_id=problem_id)

    return wrapper


@problem_post
def problem_step(request: HttpRequest, problem_id: int, action: str) -> None:
    user = actor_of(request)
    form = StepForm(request.POST, prefix=action)
    if form.is_valid():
        try:
            services.problem_act(
                actor=user, problem_id=problem_id, action=action, text=form.cleaned_data["text"]
            )
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Done."))
    else:
        messages.error(request, _("The text is too long."))


@problem_post
def problem_link(request: HttpRequest, problem_id: int) -> None:
    user = actor_of(request)
    form = LinkForm(request.POST)
    try:
        numbers = NUMBERS.findall(form.cleaned_data["ticket"]) if form.is_valid() else []
        if len(numbers) != 1:
            raise forms.ValidationError(_("Give one ticket number."))
        [ticket_id] = _ticket_ids(request, numbers[0])
        services.problem_link(actor=user, problem_id=problem_id, ticket_id=ticket_id)
    except forms.ValidationError as error:
        messages.error(request, " ".join(error.messages))
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Incident linked."))


@problem_post
def problem_unlink(request: HttpRequest, problem_id: int, ticket_id: int) -> None:
    try:
        services.problem_unlink(actor=actor_of(request), problem_id=problem_id, ticket_id=ticket_id)
    except NotFound as error:  # unlinked already (a second click, a stale page)
        messages.error(request, error.message)
    else:
        messages.success(request, _("Incident unlinked."))
