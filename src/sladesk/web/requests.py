"""The pages of requests for new functionality: the product manager's backlog (the support
team's; the same request of several organisations counted once, by who asks) and the
ticket page's request box, where the support team chooses the request's path (the
product's roadmap or a separate agreement) and links it to the same request of another
organisation, and the customer's people read which path it takes."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRefresh

from sladesk.accounts import selectors as account_selectors
from sladesk.core.errors import DomainError
from sladesk.releases import selectors, services
from sladesk.releases.choices import RequestPath
from sladesk.releases.models import RequestPlan
from sladesk.tickets.choices import CommentKind
from sladesk.tickets.models import Ticket
from sladesk.tickets.selectors import (
    attachment_list_visible,
    ticket_get_visible,
    ticket_ids_visible_by_number,
)
from sladesk.web.common import actor_of, domain_errors_as_404
from sladesk.web.forms import Choices, Form, _choices, add_domain_error
from sladesk.web.releases import staff_page

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
# A little over the service's limit: a reference just over it is the service's clear error.
SLACK = 100
# The services' names of fields, as the forms call them.
FORM_FIELDS = {"specification_id": "specification", "same_as_id": "number"}


class BacklogFilterForm(Form):
    """The backlog's filter; an unknown service is ignored rather than an error."""

    service = forms.TypedChoiceField(
        label=gettext_lazy("Service"), required=False, coerce=int, empty_value=None
    )

    def __init__(self, *args: Any, services: Choices, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choices(self.fields["service"], services, blank=str(_("Any")))


class RequestPathForm(Form):
    """The request's path; the agreement's fields count only for an agreement (the service
    checks them)."""

    path = forms.ChoiceField(
        label=gettext_lazy("Path"), choices=RequestPath.choices, widget=forms.RadioSelect
    )
    reference = forms.CharField(
        label=gettext_lazy("Agreement"),
        required=False,
        max_length=services.MAX_AGREEMENT_REFERENCE + SLACK,
    )
    starts_on = forms.DateField(label=gettext_lazy("Agreed from"), required=False, widget=DATE)
    due_on = forms.DateField(
        label=gettext_lazy("Agreed to be delivered by"), required=False, widget=DATE
    )
    specification = forms.TypedChoiceField(
        label=gettext_lazy("Specification"), required=False, coerce=int, empty_value=None
    )

    def __init__(self, *args: Any, files: Choices, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choices(self.fields["specification"], files, blank=str(_("None")))


class RequestLinkForm(Form):
    number = forms.CharField(
        label=gettext_lazy("The same request as ticket number"),
        required=False,
        max_length=30,
        help_text=gettext_lazy(
            "The first one, of another organisation; empty takes the link away."
        ),
    )


# --- the backlog -------------------------------------------------------------------------


@staff_page
@require_GET
def request_backlog(request: HttpRequest) -> HttpResponse:
    """The open requests, the most organisations asking first, then the oldest."""
    user = actor_of(request)
    services_ = account_selectors.customer_services()
    form = BacklogFilterForm(
        request.GET or None,
        services=[
            (service.pk, f"{service.organisation.name}: {service.name}") for service in services_
        ],
    )
    service_id = None
    if form.is_bound and form.is_valid():
        service_id = form.cleaned_data["service"]
    rows = selectors.request_backlog(user=user, service_id=service_id)
    return render(request, "web/request_backlog.html", {"form": form, "rows": rows})


# --- the ticket page's request box -------------------------------------------------------


def _files(user: Any, ticket: Ticket) -> Choices:
    """What may be the specification: the ticket's files its customer sees."""
    customer = attachment_list_visible(user=user, ticket=ticket).exclude(
        comment__kind=CommentKind.INTERNAL
    )
    return [(attachment.pk, attachment.filename) for attachment in customer.order_by("pk")]


def _box(
    request: HttpRequest,
    ticket: Ticket,
    *,
    path_form: RequestPathForm | None = None,
    link_form: RequestLinkForm | None = None,
) -> HttpResponse:
    user = actor_of(request)
    plan = selectors.request_plan_of(user=user, ticket=ticket)
    context: dict[str, Any] = {
        "ticket": ticket,
        "plan": plan,
        "release": selectors.release_of_ticket(user=user, ticket=ticket),
        "agreement": bool(plan and plan.path == RequestPath.AGREEMENT),
    }
    if user.is_vendor_staff:
        context["same_requests"] = selectors.same_requests(ticket=ticket)
        context["path_form"] = path_form or RequestPathForm(
            initial=_initial(plan), files=_files(user, ticket)
        )
        context["link_form"] = link_form or RequestLinkForm(
            initial={"number": plan.same_as.number if plan and plan.same_as else ""}
        )
    if getattr(request, "htmx", False):
        return render(request, "web/_ticket_request.html", context)
    return render(request, "web/ticket_request.html", context)  # outside htmx: a page


def _initial(plan: RequestPlan | None) -> dict[str, Any]:
    if plan is None:
        return {"path": RequestPath.ROADMAP}
    return {
        "path": plan.path or RequestPath.ROADMAP,
        "reference": plan.agreement_reference,
        "starts_on": plan.agreement_starts_on,
        "due_on": plan.agreement_due_on,
        "specification": plan.specification_id,
    }


def _request_ticket(request: HttpRequest, ticket_id: int) -> Ticket:
    """The ticket if `request`'s user may see it and it is a request; else 404. Only the
    support team may post."""
    user = actor_of(request)
    ticket = ticket_get_visible(user=user, ticket_id=ticket_id, related=("ticket_class",))
    if request.method == "POST" and not user.is_vendor_staff:
        raise Http404
    return ticket


def _done(request: HttpRequest, ticket: Ticket, message: str) -> HttpResponseBase:
    messages.success(request, message)
    if getattr(request, "htmx", False):
        return HttpResponseClientRefresh()  # the page's history shows the event
    return redirect("web:ticket_detail", ticket_id=ticket.pk)


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors_as_404
def ticket_request(request: HttpRequest, ticket_id: int) -> HttpResponseBase:
    """The request box (nothing for a ticket that is no request); the support team's path
    form posts here."""
    user = actor_of(request)
    ticket = _request_ticket(request, ticket_id)
    if not services.is_request(ticket):
        if request.method == "POST":
            raise Http404
        return HttpResponse("")  # htmx swaps the placeholder for nothing
    if request.method != "POST":
        return _box(request, ticket)
    form = RequestPathForm(request.POST, files=_files(user, ticket))
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.request_choose_path(
                actor=user,
                ticket_id=ticket.pk,
                path=data["path"],
                reference=data["reference"],
                starts_on=data["starts_on"],
                due_on=data["due_on"],
                specification_id=data["specification"],
            )
        except DomainError as error:
            add_domain_error(form, error, names=FORM_FIELDS)
        else:
            return _done(request, ticket, _("The request's path is saved."))
    return _box(request, ticket, path_form=form)


@login_required
@require_POST
@domain_errors_as_404
def ticket_request_link(request: HttpRequest, ticket_id: int) -> HttpResponseBase:
    """Link the request to the same request of another organisation, by its number."""
    user = actor_of(request)
    ticket = _request_ticket(request, ticket_id)
    if not services.is_request(ticket):
        raise Http404
    form = RequestLinkForm(request.POST)
    if form.is_valid():
        number = form.cleaned_data["number"].strip()
        same_as_id = ticket_ids_visible_by_number(user=user, numbers=[number]).get(number)
        try:
            if number and same_as_id is None:
                raise DomainError(_("No such ticket."), field="number")
            services.request_link(actor=user, ticket_id=ticket.pk, same_as_id=same_as_id)
        except DomainError as error:
            add_domain_error(form, error, names=FORM_FIELDS)
        else:
            return _done(
                request,
                ticket,
                _("The request is linked to %(number)s.") % {"number": number}
                if number
                else _("The request is linked to no other."),
            )
    return _box(request, ticket, link_form=form)


urlpatterns: list[URLPattern] = [
    path("requests/", request_backlog, name="request_backlog"),
    path("tickets/<int:ticket_id>/request/", ticket_request, name="ticket_request"),
    path("tickets/<int:ticket_id>/request/link/", ticket_request_link, name="ticket_request_link"),
]
