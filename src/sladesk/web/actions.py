"""Every action on the ticket page: a form to fill in and the one service it calls.

`ACTIONS` drives both the page (which forms to show) and the URLs (one POST route per
action, `tickets/<id>/<name>/`); a refused action comes back as a message on the page,
a ticket the actor may not see as a 404."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from sladesk.accounts.models import SupportLine, User
from sladesk.core.errors import DomainError
from sladesk.tickets import lifecycle, selectors, services
from sladesk.tickets.choices import ExternalCaseStatus
from sladesk.tickets.models import Ticket
from sladesk.tickets.services import Upload
from sladesk.tickets.services.escalation import is_lead
from sladesk.web import forms as web_forms
from sladesk.web.common import actor_of, domain_errors_as_404, uploads_of

Data = dict[str, Any]
FormFactory = Callable[[User, Ticket, Any], forms.Form]
Runner = Callable[[User, Ticket, Data, list[Upload]], object]


def _from(action: lifecycle.Action) -> frozenset[lifecycle.Status]:
    """The statuses a lifecycle action may start from."""
    return lifecycle.TRANSITIONS[action][0]


@dataclass(frozen=True)
class Action:
    """One thing a person can do on the ticket page."""

    label: Promise
    done: Promise
    form: FormFactory
    run: Runner
    vendor: bool = True  # shown to the support team only (the service checks it anyway)
    customer: bool = False  # shown to the customer
    statuses: frozenset[lifecycle.Status] | None = None  # offered in these only; None: always
    when: Callable[[User, Ticket], bool] | None = None  # offered only if this holds too


def _classes(ticket: Ticket) -> tuple[list[tuple[Any, str]], list[tuple[Any, str]]]:
    classes = selectors.classes_for_ticket(ticket=ticket)
    severities = selectors.severities_for_classes(classes=classes)
    return [(c.pk, str(c)) for c in classes], [(s.pk, str(s)) for s in severities]


def _classify_form(user: User, ticket: Ticket, data: Any) -> forms.Form:
    classes, severities = _classes(ticket)
    return web_forms.ClassifyForm(data, classes=classes, severities=severities, prefix="classify")


def _propose_form(user: User, ticket: Ticket, data: Any) -> forms.Form:
    classes, severities = _classes(ticket)
    return web_forms.ProposeForm(data, classes=classes, severities=severities, prefix="propose")


def _assign_form(user: User, ticket: Ticket, data: Any) -> forms.Form:
    agents = selectors.assignee_candidates(user=user, ticket=ticket)
    return web_forms.AssignForm(
        data,
        agents=[(a.pk, str(a)) for a in agents],
        initial={"assignee": ticket.assignee_id},
        prefix="assign",
    )


def _escalate_form(user: User, ticket: Ticket, data: Any) -> forms.Form:
    # An external vendor's line is reached by the customer's consent (propose_external).
    lines = SupportLine.objects.filter(level__gte=1, is_external=False).exclude(
        pk=ticket.line_id or 0
    )
    return web_forms.EscalateForm(
        data,
        lines=[(line.pk, str(line)) for line in lines],
        agents=[(agent.pk, str(agent)) for agent in selectors.support_staff()],
        prefix="escalate",
    )


def _external_lines(ticket: Ticket) -> list[SupportLine]:
    limit = ticket.contract.included_lines if ticket.contract else 0
    return list(
        SupportLine.objects.filter(is_external=True, level__lte=limit).exclude(
            pk=ticket.line_id or 0
        )
    )


def _propose_external_form(user: User, ticket: Ticket, data: Any) -> forms.Form:
    lines = [(line.pk, str(line)) for line in _external_lines(ticket)]
    return web_forms.ProposeExternalForm(data, lines=lines, prefix="propose_external")


def _external_case_form(user: User, ticket: Ticket, data: Any) -> forms.Form:
    cases = selectors.external_cases_of(user=user, ticket=ticket) if user.is_vendor_staff else []
    return web_forms.ExternalCaseForm(
        data,
        cases=[(case.pk, str(case)) for case in cases if case.is_open],
        statuses=list(ExternalCaseStatus.choices),
        prefix="external_case",
    )


def _external_case(actor: User, ticket: Ticket, data: Data, uploads: list[Upload]) -> object:
    change = services.ExternalCaseChange(
        note=data["note"],
        vendor=data["vendor"],
        reference=data["reference"],
        status=data["status"],
        follow_up_on=data["follow_up_on"],
    )
    if data["case"] is None:
        return services.ticket_external_case_open(actor=actor, ticket_id=ticket.pk, change=change)
    return services.ticket_external_case_update(
        actor=actor, ticket_id=ticket.pk, case_id=data["case"], change=change
    )


def _watch_form(user: User, ticket: Ticket, data: Any) -> forms.Form:
    people = selectors.watcher_candidates(user=user, ticket=ticket)
    return web_forms.WatcherForm(
        data, people=[(p.pk, f"{p} <{p.email}>") for p in people], prefix="watch"
    )


def _simple(form_class: type[forms.Form], prefix: str) -> FormFactory:
    def factory(user: User, ticket: Ticket, data: Any) -> forms.Form:
        return form_class(data, prefix=prefix)

    return factory


def _parent(actor: User, ticket: Ticket, data: Data, uploads: list[Upload]) -> object:
    number = data["parent"].strip()
    parent_id = (
        selectors.ticket_get_visible_by_number(user=actor, number=number).pk if number else None
    )
    return services.ticket_set_parent(actor=actor, ticket_id=ticket.pk, parent_id=parent_id)


ACTIONS: dict[str, Action] = {
    "classify": Action(
        _("Classify"),
        _("The ticket is classified."),
        _classify_form,
        lambda actor, ticket, d, files: services.ticket_classify(
            actor=actor,
            ticket_id=ticket.pk,
            ticket_class_id=d["ticket_class"],
            severity_id=d["severity"],
            impact=d["impact"],
            urgency=d["urgency"],
        ),
        statuses=lifecycle.OPEN_STATUSES,
    ),
    "propose": Action(
        _("Propose a change to the customer"),
        _("The change is proposed to the customer."),
        _propose_form,
        lambda actor, ticket, d, files: services.ticket_propose_change(
            actor=actor,
            ticket_id=ticket.pk,
            change=services.ChangeRequest(
                reason=d["reason"],
                ticket_class_id=d["ticket_class"],
                severity_id=d["severity"],
                priority=d["priority"],
            ),
        ),
        statuses=lifecycle.OPEN_STATUSES,
    ),
    "assign": Action(
        _("Assign"),
        _("The assignee is changed."),
        _assign_form,
        lambda actor, ticket, d, files: services.ticket_assign(
            actor=actor, ticket_id=ticket.pk, assignee_id=d["assignee"]
        ),
        statuses=lifecycle.OPEN_STATUSES,
    ),
    "escalate": Action(
        _("Escalate"),
        _("The ticket is escalated."),
        _escalate_form,
        lambda actor, ticket, d, files: services.ticket_escalate(
            actor=actor,
            ticket_id=ticket.pk,
            line_id=d["line"],
            reason=d["reason"],
            assignee_id=d["assignee"],
        ),
        statuses=lifecycle.OPEN_STATUSES,
    ),
    "propose_external": Action(
        _("Propose an external vendor to the customer"),
        _("The customer is asked to agree to involve the external vendor."),
        _propose_external_form,
        lambda actor, ticket, d, files: services.ticket_propose_change(
            actor=actor,
            ticket_id=ticket.pk,
            change=services.ChangeRequest(reason=d["reason"], line_id=d["line"]),
        ),
        statuses=lifecycle.OPEN_STATUSES,
        when=lambda user, ticket: bool(_external_lines(ticket)),
    ),
    "external_case": Action(
        _("External vendor's case"),
        _("The exchange with the vendor is recorded."),
        _external_case_form,
        _external_case,
        statuses=lifecycle.OPEN_STATUSES,
        when=lambda user, ticket: ticket.line is not None and ticket.line.is_external,
    ),
    "attention": Action(
        _("Raise to the lead"),
        _("The ticket is raised to the lead."),
        _simple(web_forms.AttentionForm, "attention"),
        lambda actor, ticket, d, files: services.ticket_raise_attention(
            actor=actor, ticket_id=ticket.pk, reason=d["reason"]
        ),
        statuses=lifecycle.OPEN_STATUSES,
        when=lambda user, ticket: ticket.attention_at is None,
    ),
    "attention_clear": Action(
        _("Take up as lead"),
        _("The ticket leaves the attention queue."),
        _simple(web_forms.DecisionNoteForm, "attention_clear"),
        lambda actor, ticket, d, files: services.ticket_attention_clear(
            actor=actor, ticket_id=ticket.pk, note=d["note"]
        ),
        when=lambda user, ticket: ticket.attention_at is not None and is_lead(user, ticket),
    ),
    "reproduce": Action(
        _("Mark reproduced"),
        _("The ticket is marked reproduced."),
        _simple(web_forms.NoteForm, "reproduce"),
        lambda actor, ticket, d, files: services.ticket_mark_reproduced(
            actor=actor, ticket_id=ticket.pk, note=d["note"]
        ),
        statuses=lifecycle.OPEN_STATUSES,
    ),
    "request_info": Action(
        _("Request information"),
        _("The customer is asked for information."),
        _simple(web_forms.QuestionForm, "request_info"),
        lambda actor, ticket, d, files: services.ticket_request_info(
            actor=actor, ticket_id=ticket.pk, question=d["question"], uploads=files
        ),
        statuses=_from(lifecycle.Action.REQUEST_INFO),
    ),
    "resolve": Action(
        _("Resolve"),
        _("The ticket is resolved."),
        _simple(web_forms.ResolutionForm, "resolve"),
        lambda actor, ticket, d, files: services.ticket_resolve(
            actor=actor, ticket_id=ticket.pk, resolution=d["resolution"]
        ),
        statuses=_from(lifecycle.Action.RESOLVE),
    ),
    "close": Action(
        _("Confirm and close"),
        _("The ticket is closed."),
        _simple(web_forms.OptionalCommentForm, "close"),
        lambda actor, ticket, d, files: services.ticket_close(
            actor=actor, ticket_id=ticket.pk, comment=d["comment"]
        ),
        customer=True,
        statuses=_from(lifecycle.Action.CLOSE),
    ),
    "reopen": Action(
        _("Reopen"),
        _("The ticket is reopened."),
        _simple(web_forms.ReasonForm, "reopen"),
        lambda actor, ticket, d, files: services.ticket_reopen(
            actor=actor, ticket_id=ticket.pk, reason=d["reason"]
        ),
        customer=True,
        statuses=_from(lifecycle.Action.REOPEN),
    ),
    "cancel": Action(
        _("Cancel the ticket"),
        _("The ticket is cancelled."),
        _simple(web_forms.ReasonForm, "cancel"),
        lambda actor, ticket, d, files: services.ticket_cancel(
            actor=actor, ticket_id=ticket.pk, reason=d["reason"]
        ),
        customer=True,
        statuses=_from(lifecycle.Action.CANCEL),
    ),
    "watch": Action(
        _("Watchers"),
        _("The watchers are updated."),
        _watch_form,
        lambda actor, ticket, d, files: services.ticket_set_watcher(
            actor=actor, ticket_id=ticket.pk, user_id=d["person"], watching=d["watching"]
        ),
        customer=True,
    ),
    "parent": Action(
        _("Link a parent"),
        _("The parent link is updated."),
        _simple(web_forms.ParentForm, "parent"),
        _parent,
    ),
    "accept": Action(
        _("Accept the change"),
        _("You accepted the proposed change."),
        _simple(web_forms.OptionalCommentForm, "accept"),
        lambda actor, ticket, d, files: services.proposal_decide(
            actor=actor, ticket_id=ticket.pk, accept=True, comment=d["comment"]
        ),
        vendor=False,
        customer=True,
    ),
    "reject": Action(
        _("Reject the change"),
        _("You rejected the proposed change."),
        _simple(web_forms.OptionalCommentForm, "reject"),
        lambda actor, ticket, d, files: services.proposal_decide(
            actor=actor, ticket_id=ticket.pk, accept=False, comment=d["comment"]
        ),
        vendor=False,
        customer=True,
    ),
}


def action_forms(*, user: User, ticket: Ticket) -> dict[str, forms.Form]:
    """The unbound forms of the actions `user` is offered on `ticket`."""
    offered = {
        name: action
        for name, action in ACTIONS.items()
        if (action.vendor if user.is_vendor_staff else action.customer)
        and (action.statuses is None or ticket.status in action.statuses)
        and (action.when is None or action.when(user, ticket))
    }
    return {name: action.form(user, ticket, None) for name, action in offered.items()}


def action_view(name: str) -> Callable[..., HttpResponseBase]:
    """The POST view of one action: validate its form, call its service, back to the page."""
    action = ACTIONS[name]

    @login_required
    @require_POST
    @domain_errors_as_404
    def view(request: HttpRequest, ticket_id: int) -> HttpResponse:
        user = actor_of(request)
        ticket = selectors.ticket_get_visible(user=user, ticket_id=ticket_id)  # 404 first
        form = action.form(user, ticket, request.POST)
        if form.is_valid():
            try:
                action.run(user, ticket, form.cleaned_data, uploads_of(request))
            except DomainError as error:
                messages.error(request, f"{action.label}: {error.message}")
            else:
                messages.success(request, str(action.done))
        else:
            for field, errors in form.errors.items():
                label = form.fields[field].label if field in form.fields else action.label
                messages.error(request, f"{label}: {' '.join(str(error) for error in errors)}")
        return redirect("web:ticket_detail", ticket_id=ticket_id)

    view.__name__ = f"ticket_{name}"
    return view
