"""The release pages. The support team's: the list, a new release, one release (the tickets
it carries, its notes, its date and status, shipping) and the ticket page's release box.
The customer's: what their tickets are planned for (the box again), the roadmap, and the
release notes as an Atom feed behind a signed link. Every read goes through the releases
selectors, whose one visibility rule keeps each organisation to its own."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.core.signing import BadSignature, Signer
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils.feedgenerator import Atom1Feed, get_tag_uri
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRefresh

from sladesk.accounts import selectors as account_selectors
from sladesk.accounts.choices import Role
from sladesk.accounts.models import Service, User
from sladesk.core.errors import DomainError
from sladesk.knowledge import markdown
from sladesk.releases import selectors, services
from sladesk.releases.choices import FINAL_STATUSES, ReleaseStatus
from sladesk.releases.models import Release
from sladesk.tickets.models import Ticket
from sladesk.tickets.selectors import ticket_get_visible
from sladesk.web.common import actor_of, domain_errors_as_404, vendor_only
from sladesk.web.forms import Choices, add_domain_error
from sladesk.web.release_forms import (
    ReleaseEditForm,
    ReleaseFilterForm,
    ReleaseForm,
    ShipForm,
    TicketReleaseForm,
)

PAGE_SIZE = 50
ROADMAP_LIMIT = 200
FEED_LIMIT = 50
FEED_SALT = "sladesk.roadmap-feed"
# The services' names of fields, as the forms call them.
FORM_FIELDS = {"service_id": "service", "organisation_id": "personal"}


def staff_page(view: Any) -> Any:
    """A page of the support team's: signed in, vendor staff (a customer gets 404), and a
    NotFound of a selector or service is the page's 404."""
    return login_required(vendor_only(domain_errors_as_404(view)))


def _customer_only(view: Any) -> Any:
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not actor_of(request).is_customer:
            raise Http404
        return view(request, *args, **kwargs)

    wrapper.__name__ = view.__name__
    wrapper.__doc__ = view.__doc__
    return login_required(wrapper)


def _services() -> list[Service]:
    return list(account_selectors.customer_services())


def _service_choices(services_: list[Service]) -> Choices:
    return [(service.pk, f"{service.organisation.name}: {service.name}") for service in services_]


def _language(user: User) -> str:
    """The language the user writes notes in (one the desk speaks)."""
    codes = dict(settings.LANGUAGES)
    for code in (user.language, get_language()):
        if code in codes:
            return str(code)
    return str(settings.LANGUAGE_CODE)


def _notes_language(request: HttpRequest, user: User, release: Release) -> str:
    """The language the edit form shows the notes in: the one asked for (?language=), else
    the user's when written or nothing is, else the first written."""
    asked = request.GET.get("language", "")
    if asked in dict(settings.LANGUAGES):
        return asked
    mine = _language(user)
    if mine in release.notes or not release.notes:
        return mine
    return str(next(iter(release.notes)))


def notes_html(release: Release, language: str | None = None) -> str:
    """The release notes in the reader's language, rendered and sanitised."""
    return markdown.render(release.notes_in(language or get_language() or ""))


# --- the support team's pages ------------------------------------------------------------


@staff_page
@require_GET
def release_list(request: HttpRequest) -> HttpResponse:
    """Releases by service and status, the soonest planned first, with the tickets each
    carries."""
    user = actor_of(request)
    form = ReleaseFilterForm(request.GET or None, services=_service_choices(_services()))
    data: dict[str, Any] = {}
    if form.is_bound:
        form.is_valid()  # an unknown value drops that filter, not the others
        data = form.cleaned_data
    releases = selectors.release_list(
        user=user, service_id=data.get("service"), status=data.get("status") or ""
    )
    releases = releases.select_related("service__organisation").annotate(
        ticket_count=Count("tickets")
    )
    page = Paginator(releases, PAGE_SIZE).get_page(request.GET.get("page"))
    parameters = request.GET.copy()
    parameters.pop("page", None)
    context = {"form": form, "page": page, "parameters": parameters.urlencode()}
    return render(request, "web/release_list.html", context)


@staff_page
@require_http_methods(["GET", "POST"])
def release_new(request: HttpRequest) -> HttpResponseBase:
    user = actor_of(request)
    services_ = _services()
    form = ReleaseForm(
        request.POST or None,
        services=_service_choices(services_),
        initial={"language": _language(user)},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        # A personal delivery goes to the service's own organisation (the service checks).
        organisation_of = {service.pk: service.organisation_id for service in services_}
        try:
            release = services.release_create(
                actor=user,
                draft=services.ReleaseDraft(
                    service_id=data["service"],
                    version=data["version"],
                    planned_on=data["planned_on"],
                    name=data["name"],
                    notes={data["language"]: data["notes"]},
                    organisation_id=organisation_of.get(data["service"])
                    if data["personal"]
                    else None,
                    resolve_on_ship=data["resolve_on_ship"],
                ),
            )
        except DomainError as error:
            # A version the service has already is a conflict without a field: the version's.
            add_domain_error(
                form, error, names=FORM_FIELDS, default="version" if error.field is None else None
            )
        else:
            messages.success(
                request, _("Release %(release)s is planned.") % {"release": str(release)}
            )
            return redirect("web:release_detail", release_id=release.pk)
    return render(request, "web/release_new.html", {"form": form})


def _detail_page(
    request: HttpRequest,
    release: Release,
    *,
    form: ReleaseEditForm | None = None,
    ship_form: ShipForm | None = None,
) -> HttpResponse:
    user = actor_of(request)
    final = release.status in FINAL_STATUSES
    language = _notes_language(request, user, release)
    if form is None:
        form = ReleaseEditForm(
            initial={
                "name": release.name,
                "planned_on": release.planned_on,
                "status": release.status,
                "language": language,
                "notes": release.notes.get(language, ""),
            },
            final=final,
        )
    tickets = selectors.release_tickets(user=user, release=release).select_related("organisation")
    context = {
        "release": release,
        "final": final,
        "tickets": tickets,
        "notes_html": notes_html(release),
        "languages": sorted(release.notes),
        "form": form,
        "ship_form": ship_form or (None if final else ShipForm()),
    }
    return render(request, "web/release_detail.html", context)


@staff_page
@require_http_methods(["GET", "POST"])
def release_detail(request: HttpRequest, release_id: int) -> HttpResponseBase:
    """The release, the tickets it carries, its notes; the edit form posts here."""
    user = actor_of(request)
    release = selectors.release_get(user=user, release_id=release_id)
    if request.method != "POST":
        return _detail_page(request, release)
    final = release.status in FINAL_STATUSES
    form = ReleaseEditForm(request.POST, final=final)
    if form.is_valid():
        data = form.cleaned_data
        # The notes of the other languages stay; an emptied language is dropped.
        changes: dict[str, Any] = {
            "name": data["name"],
            "notes": {**release.notes, data["language"]: data["notes"]},
        }
        if not final:
            changes |= {"planned_on": data["planned_on"], "status": data["status"]}
        try:
            services.release_update(actor=user, release_id=release.pk, changes=changes)
        except DomainError as error:
            add_domain_error(form, error, names=FORM_FIELDS)
        else:
            messages.success(request, _("The release is saved."))
            return redirect("web:release_detail", release_id=release.pk)
    return _detail_page(request, release, form=form)


@staff_page
@require_POST
def release_ship(request: HttpRequest, release_id: int) -> HttpResponseBase:
    """Ship the release, once the box that confirms it is ticked."""
    user = actor_of(request)
    release = selectors.release_get(user=user, release_id=release_id)
    form = ShipForm(request.POST)
    if form.is_valid():
        try:
            services.release_ship(actor=user, release_id=release.pk)
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(
                request, _("Release %(release)s is shipped.") % {"release": str(release)}
            )
            return redirect("web:release_detail", release_id=release.pk)
    return _detail_page(request, release, ship_form=form)


@staff_page
@require_POST
def release_remove_ticket(request: HttpRequest, release_id: int, ticket_id: int) -> HttpResponse:
    user = actor_of(request)
    release = selectors.release_get(user=user, release_id=release_id)
    try:
        services.release_remove_ticket(actor=user, release_id=release.pk, ticket_id=ticket_id)
    except DomainError as error:  # taken out already (a second click), or shipped
        messages.error(request, error.message)
    else:
        messages.success(request, _("The ticket is taken out of the release."))
    return redirect("web:release_detail", release_id=release.pk)


# --- the ticket page's release box -------------------------------------------------------


def _open_releases(user: User, ticket: Ticket) -> Choices:
    releases = selectors.releases_open_for(user=user, service_id=ticket.service_id)
    return [
        (
            release.pk,
            " · ".join(
                part
                for part in (
                    release.version,
                    release.name,
                    release.planned_on.isoformat(),
                    str(_("personal delivery")) if release.organisation_id else "",
                )
                if part
            ),
        )
        for release in releases
    ]


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors_as_404
def ticket_release(request: HttpRequest, ticket_id: int) -> HttpResponseBase:
    """The release the ticket is planned for; for the support team also the choice among
    the open releases of its service (htmx: the box alone; else a page of its own)."""
    user = actor_of(request)
    ticket = ticket_get_visible(user=user, ticket_id=ticket_id, related=("service",))
    if request.method == "POST" and not user.is_vendor_staff:
        raise Http404
    form: TicketReleaseForm | None = None
    if user.is_vendor_staff:
        releases = _open_releases(user, ticket)
        if request.method == "POST":
            form = TicketReleaseForm(request.POST, releases=releases)
            if form.is_valid() and _plan(request, form, ticket):
                if getattr(request, "htmx", False):
                    return HttpResponseClientRefresh()  # the page's history shows the event
                return redirect("web:ticket_detail", ticket_id=ticket.pk)
        else:
            form = TicketReleaseForm(initial={"release": ticket.release_id}, releases=releases)
    context = {
        "ticket": ticket,
        "release": selectors.release_of_ticket(user=user, ticket=ticket),
        "release_form": form,
    }
    if getattr(request, "htmx", False):
        return render(request, "web/_ticket_release.html", context)
    return render(request, "web/ticket_release.html", context)


def _plan(request: HttpRequest, form: TicketReleaseForm, ticket: Ticket) -> bool:
    """Plan the ticket into the chosen release, or take it out; a refusal is the form's."""
    user = actor_of(request)
    chosen = form.cleaned_data["release"]
    try:
        if chosen is None:
            if ticket.release_id is None:
                raise DomainError(_("The ticket is not planned yet."), field="release")
            services.release_remove_ticket(
                actor=user, release_id=ticket.release_id, ticket_id=ticket.pk
            )
            messages.success(request, _("The ticket is taken out of the release."))
        else:
            services.release_add_ticket(actor=user, release_id=chosen, ticket_id=ticket.pk)
            release = selectors.release_get(user=user, release_id=chosen)
            messages.success(
                request,
                _("The ticket is planned for %(release)s.") % {"release": str(release)},
            )
    except DomainError as error:
        form.add_error("release", error.message)
        return False
    return True


# --- the customer's roadmap and its feed -------------------------------------------------


def feed_signature(organisation_id: int) -> str:
    """What the feed link of the organisation carries: a signature of its id alone."""
    return Signer(salt=FEED_SALT).signature(str(organisation_id))


def _feed_signature_valid(organisation_id: int, signature: str) -> bool:
    signer = Signer(salt=FEED_SALT)
    try:  # unsign() compares in constant time and accepts the fallback keys of a rotation
        return signer.unsign(f"{organisation_id}{signer.sep}{signature}") == str(organisation_id)
    except BadSignature:
        return False


def _shipped(user: User) -> list[Release]:
    releases = selectors.release_list(user=user, status=ReleaseStatus.RELEASED)
    return list(releases.order_by("-shipped_at", "-id")[:FEED_LIMIT])


@_customer_only
@require_GET
def roadmap(request: HttpRequest) -> HttpResponse:
    """The customer's open tickets planned into releases, the defects and requests not
    planned yet, and the notes of the releases shipped (newest first)."""
    user = actor_of(request)
    assert user.organisation_id is not None  # noqa: S101  # a customer has an organisation
    context = {
        "planned": selectors.roadmap_planned(user=user, limit=ROADMAP_LIMIT),
        "waiting": selectors.roadmap_waiting(user=user, limit=ROADMAP_LIMIT),
        "shipped": [(release, notes_html(release)) for release in _shipped(user)],
        "feed_url": request.build_absolute_uri(
            reverse(
                "web:roadmap_feed",
                kwargs={
                    "organisation_id": user.organisation_id,
                    "signature": feed_signature(user.organisation_id),
                },
            )
        ),
    }
    return render(request, "web/roadmap.html", context)


class ReleaseNotesFeed(Atom1Feed):
    """Atom with each entry's notes as its content (Django's writes a summary only)."""

    def add_item_elements(self, handler: Any, item: dict[str, Any]) -> None:
        super().add_item_elements(handler, item)
        handler.addQuickElement("content", item["content"], {"type": "html"})


@require_GET
def roadmap_feed(request: HttpRequest, organisation_id: int, signature: str) -> HttpResponse:
    """The notes of the organisation's shipped releases: no sign-in, the signed link is the
    key. It reads what any of the organisation's people may (the one rule, applied to a
    reader standing in for them)."""
    if not _feed_signature_valid(organisation_id, signature):
        raise Http404
    organisation = account_selectors.customer_organisations().filter(pk=organisation_id).first()
    if organisation is None:
        raise Http404
    reader = User(role=Role.CUSTOMER_USER, organisation=organisation, is_active=True)
    roadmap_url = request.build_absolute_uri(reverse("web:roadmap"))
    language = get_language() or ""
    feed = ReleaseNotesFeed(
        title=_("%(organisation)s: release notes") % {"organisation": organisation.name},
        link=roadmap_url,
        description="",
        language=language,
        feed_url=request.build_absolute_uri(),
    )
    for release in _shipped(reader):
        link = f"{roadmap_url}#release-{release.pk}"
        feed.add_item(
            title=f"{release.service.name} {release.version}",
            link=link,
            description=None,  # type: ignore[arg-type]  # no summary: the content has the notes
            unique_id=get_tag_uri(link, release.created_at),
            pubdate=release.shipped_at,
            updateddate=release.shipped_at,
            content=notes_html(release, language),
        )
    response = HttpResponse(content_type=feed.content_type)
    feed.write(response, "utf-8")
    return response


urlpatterns: list[URLPattern] = [
    path("releases/", release_list, name="release_list"),
    path("releases/new/", release_new, name="release_new"),
    path("releases/<int:release_id>/", release_detail, name="release_detail"),
    path("releases/<int:release_id>/ship/", release_ship, name="release_ship"),
    path(
        "releases/<int:release_id>/tickets/<int:ticket_id>/remove/",
        release_remove_ticket,
        name="release_remove_ticket",
    ),
    path("tickets/<int:ticket_id>/release/", ticket_release, name="ticket_release"),
    path("roadmap/", roadmap, name="roadmap"),
    path(
        "roadmap/feed/<int:organisation_id>/<str:signature>/",
        roadmap_feed,
        name="roadmap_feed",
    ),
]
