"""The portal's and the workspace's main pages: sign-in, queues, registration, the ticket
page, replies and downloads. Views stay thin: a form in, one selector or service, a
template out; the ticket's actions are in `actions.py`, the account's in `account.py`."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from sladesk.accounts import selectors as account_selectors
from sladesk.accounts.choices import Role
from sladesk.accounts.models import SupportLine, User
from sladesk.core.errors import DomainError
from sladesk.notifications.services import notifications_read_for_ticket
from sladesk.problems.selectors import problems_of_visible_ticket
from sladesk.sla.choices import TicketSlaState
from sladesk.sla.selectors import sla_events_of, sla_overview
from sladesk.tickets import selectors, services
from sladesk.tickets.choices import Channel, Priority, TicketStatus
from sladesk.tickets.models import TicketClass
from sladesk.tickets.services.bulk import ticket_bulk_assign, ticket_bulk_status
from sladesk.tickets.services.intake import ticket_register_with_files
from sladesk.web.actions import action_forms
from sladesk.web.common import (
    actor_of,
    domain_errors_as_404,
    redirect_back,
    uploads_of,
    vendor_only,
)
from sladesk.web.forms import (
    BulkForm,
    CommentForm,
    LoginForm,
    PhoneTicketForm,
    QueueFilterForm,
    TicketForm,
    add_domain_error,
)
from sladesk.web.knowledge import ticket_knowledge

PAGE_SIZE = 50


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    template_name = "web/login.html"
    redirect_authenticated_user = True


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Leads and administrators start on the dashboard, everyone else on their tickets."""
    user = request.user
    if isinstance(user, User) and user.role in (Role.SUPERVISOR, Role.ADMINISTRATOR):
        return redirect("web:dashboard")
    return redirect("web:ticket_list")


def _queue_options(user: User) -> dict[str, list[tuple[Any, Any]]]:
    """The filter choices `user` may pick from (a customer's are their organisation's)."""
    sla_states = [(s.value, s.label) for s in TicketSlaState if s.value]
    common: dict[str, list[tuple[Any, Any]]] = {
        "status": [
            (selectors.OPEN_FILTER, _("Open (any but resolved, closed, cancelled)")),
            *TicketStatus.choices,
        ],
        "order": [("deadline", _("Next deadline first")), ("newest", _("Newest first"))],
    }
    if not user.is_vendor_staff:
        return {
            **common,
            "service": [
                (s.pk, s.name)
                for s in account_selectors.services_of(organisation=user.organisation)
            ],
            "ticket_class": [
                (c.pk, str(c))
                for c in selectors.classes_for_organisation(organisation=user.organisation)
            ],
        }
    classes = TicketClass.objects.select_related("scheme")
    return {
        **common,
        "organisation": [(o.pk, o.name) for o in account_selectors.customer_organisations()],
        "service": [
            (s.pk, f"{s.organisation.name}: {s.name}")
            for s in account_selectors.customer_services()
        ],
        "ticket_class": [(c.pk, f"{c.scheme.name}: {c}") for c in classes],
        "priority": list(Priority.choices),
        "line": [(line.pk, str(line)) for line in SupportLine.objects.all()],
        "sla": sla_states,
    }


QUEUE_RELATED = ("organisation", "line", "assignee")  # what a queue row shows; joins cost planning
QUEUE_LABELS = {
    "mine": gettext_lazy("Mine"),
    "unassigned": gettext_lazy("Unassigned in my lines"),
    "attention": gettext_lazy("Needs my attention"),
    "at_risk": gettext_lazy("At risk"),
    "breached": gettext_lazy("Breached"),
    "waiting": gettext_lazy("Waiting for customer"),
    "open": gettext_lazy("Open"),
    "all": gettext_lazy("All"),
}


def queue_of(request: HttpRequest, user: User) -> tuple[str, QueueFilterForm, Any]:
    """The queue, the filter form and the tickets a queue page's query asks for (the
    page and its exports)."""
    queue = request.GET.get("queue", "")
    if queue not in selectors.QUEUES:
        queue = "all"  # everything visible, next deadline first; the queues narrow it
    form = QueueFilterForm(request.GET or None, options=_queue_options(user))
    data: dict[str, Any] = {}
    if form.is_bound:
        form.is_valid()  # an unknown value drops that filter, not the others
        data = form.cleaned_data
    filters = selectors.TicketFilters(
        statuses=selectors.statuses_of(data.get("status") or ""),
        organisation_id=data.get("organisation"),
        service_id=data.get("service"),
        ticket_class_id=data.get("ticket_class"),
        priority=data.get("priority") or "",
        line_id=data.get("line"),
        sla_state=data.get("sla") or "",
        text=(data.get("q") or "").strip(),
        order="newest" if data.get("order") == "newest" else "deadline",
    )
    tickets = selectors.ticket_queue(user=user, queue=queue, filters=filters, related=QUEUE_RELATED)
    return queue, form, tickets


@login_required
def ticket_list(request: HttpRequest) -> HttpResponse:
    """A customer's organisation tickets, or an agent's queues; the table alone for htmx
    (live refresh and filtering without a full reload)."""
    user = actor_of(request)
    queue, form, tickets = queue_of(request, user)
    page = Paginator(tickets, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "page": page,
        "form": form,
        "queue": queue,
        "query": query.urlencode(),
        "counts": selectors.ticket_queue_counts(user=user),
        "queues": [(key, QUEUE_LABELS[key]) for key in selectors.QUEUES],
    }
    if getattr(request, "htmx", False):
        return render(request, "web/_queue.html", context)
    if user.is_vendor_staff:
        context["bulk_form"] = BulkForm(ticket_ids=[], agents=_agents())
    return render(request, "web/ticket_list.html", context)


def _agents() -> list[tuple[Any, Any]]:
    return [(a.pk, str(a)) for a in selectors.support_staff()]


@login_required
@vendor_only
@require_POST
def ticket_bulk(request: HttpRequest) -> HttpResponseBase:
    """Assign, unassign, resolve, close or cancel the selected tickets of a queue."""
    user = actor_of(request)
    # Ids only: ASCII digits (int() would refuse "²") of a length a column can hold.
    chosen = request.POST.getlist("tickets")
    ticket_ids = [int(v) for v in chosen if v.isascii() and v.isdigit() and len(v) < 19]
    form = BulkForm(request.POST, ticket_ids=ticket_ids, agents=_agents())
    if not form.is_valid():
        messages.error(request, _("Select tickets and an action."))
        return redirect_back(request, "web:ticket_list")
    data = form.cleaned_data
    try:
        if data["operation"] in ("assign", "unassign"):
            result = ticket_bulk_assign(
                actor=user,
                ticket_ids=data["tickets"],
                assignee_id=data["assignee"] if data["operation"] == "assign" else None,
            )
        else:
            result = ticket_bulk_status(
                actor=user, ticket_ids=data["tickets"], action=data["operation"], text=data["text"]
            )
    except DomainError as error:
        messages.error(request, error.message)
    else:
        if result.done:
            messages.success(
                request,
                ngettext("%(count)d ticket changed.", "%(count)d tickets changed.", result.done)
                % {"count": result.done},
            )
        for message in sorted(set(result.refused.values())):
            count = sum(1 for m in result.refused.values() if m == message)
            messages.error(request, f"{message} ({count})")
    return redirect_back(request, "web:ticket_list")


@login_required
@domain_errors_as_404
def ticket_detail(request: HttpRequest, ticket_id: int) -> HttpResponse:
    user = actor_of(request)
    ticket = selectors.ticket_get_visible(user=user, ticket_id=ticket_id)
    events = list(selectors.event_list_visible(user=user, ticket=ticket))
    notifications_read_for_ticket(actor=user, ticket_id=ticket.pk)
    context = {
        "ticket": ticket,
        "comments": selectors.comment_list_visible(user=user, ticket=ticket),
        "attachments": selectors.attachment_list_visible(user=user, ticket=ticket).filter(
            comment__isnull=True
        ),
        "events": events,
        "event_names": selectors.event_names(events),
        "proposal": selectors.proposal_pending(ticket=ticket),
        "sla": sla_overview(ticket),
        "sla_events": sla_events_of(ticket=ticket),
        "watchers": selectors.ticket_watchers(ticket=ticket),
        "children": selectors.ticket_children(user=user, ticket=ticket),
        "comment_form": CommentForm(),
        "forms": action_forms(user=user, ticket=ticket),
        "is_watching": selectors.ticket_watchers(ticket=ticket).filter(pk=user.pk).exists(),
        "problems": problems_of_visible_ticket(ticket_id=ticket.pk),
        # Seed 004: C4 is no product defect and goes to A or D by the customer's consent.
        "reclassify_to": list(ticket.severity.reclassify_to.all()) if ticket.severity else [],
        "external_cases": (
            list(selectors.external_cases_of(user=user, ticket=ticket))
            if user.is_vendor_staff and ticket.line is not None and ticket.line.is_external
            else []
        ),
        # Suggested and linked articles, the customer's configuration: the team's only.
        **ticket_knowledge(user=user, ticket=ticket),
    }
    return render(request, "web/ticket_detail.html", context)


@login_required
@require_POST
@domain_errors_as_404
def ticket_comment(request: HttpRequest, ticket_id: int) -> HttpResponse:
    user = actor_of(request)
    selectors.ticket_get_visible(user=user, ticket_id=ticket_id)  # 404 before anything else
    form = CommentForm(request.POST)
    if form.is_valid():
        try:
            services.ticket_comment(
                actor=user,
                ticket_id=ticket_id,
                body=form.cleaned_data["body"],
                internal=user.is_vendor_staff and form.cleaned_data["internal"],
                uploads=uploads_of(request),
            )
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Your message is added."))
    else:
        messages.error(request, form.errors.as_text())
    return redirect("web:ticket_detail", ticket_id=ticket_id)


@login_required
def ticket_new(request: HttpRequest) -> HttpResponse:
    """A customer registers a ticket in the portal; an agent records a phone call."""
    user = actor_of(request)
    if user.is_vendor_staff:
        return _ticket_new_by_phone(request, user)
    form = TicketForm(
        request.POST or None,
        services=[
            (s.pk, s.name) for s in account_selectors.services_of(organisation=user.organisation)
        ],
        classes=[
            (c.pk, str(c))
            for c in selectors.classes_for_organisation(organisation=user.organisation)
        ],
    )
    if request.method == "POST" and form.is_valid():
        try:
            ticket = ticket_register_with_files(
                actor=user,
                data=services.TicketRegistration(
                    title=form.cleaned_data["title"],
                    description=form.cleaned_data["description"],
                    service_id=form.cleaned_data["service"],
                    ticket_class_id=form.cleaned_data["ticket_class"],
                ),
                uploads=uploads_of(request),
            )
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(
                request, _("Ticket %(number)s is registered.") % {"number": ticket.number}
            )
            return redirect("web:ticket_detail", ticket_id=ticket.pk)
    return render(request, "web/ticket_new.html", {"form": form})


def _ticket_new_by_phone(request: HttpRequest, user: User) -> HttpResponse:
    options = {
        "organisation": [(o.pk, o.name) for o in account_selectors.customer_organisations()],
        "requester": [
            (p.pk, f"{p.organisation.name}: {p} <{p.email}>")
            for p in account_selectors.customer_people()
        ],
        "service": [
            (s.pk, f"{s.organisation.name}: {s.name}")
            for s in account_selectors.customer_services()
        ],
        "ticket_class": [
            (c.pk, f"{c.scheme.name}: {c}") for c in TicketClass.objects.select_related("scheme")
        ],
    }
    form = PhoneTicketForm(request.POST or None, options=options)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            ticket = services.ticket_register(
                actor=user,
                data=services.TicketRegistration(
                    title=data["title"],
                    description=data["description"],
                    channel=Channel.PHONE,
                    organisation_id=data["organisation"],
                    requester_id=data["requester"],
                    contact=data["contact"],
                    service_id=data["service"],
                    ticket_class_id=data["ticket_class"],
                ),
            )
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(
                request, _("Ticket %(number)s is registered.") % {"number": ticket.number}
            )
            return redirect("web:ticket_detail", ticket_id=ticket.pk)
    return render(request, "web/ticket_new.html", {"form": form, "by_phone": True})


@login_required
@domain_errors_as_404
def attachment_download(request: HttpRequest, attachment_id: int) -> FileResponse:
    attachment = selectors.attachment_get_visible(
        user=actor_of(request), attachment_id=attachment_id
    )
    return FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.filename,
        content_type=attachment.content_type,
    )
