"""The support team's knowledge base pages (articles, versions, review, customers'
configurations) and the knowledge panels of the ticket and problem pages. Customers are
told nothing exists here (404); the help centre is their side of the articles."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from sladesk.accounts import selectors as account_selectors
from sladesk.accounts.models import User
from sladesk.core import clock
from sladesk.core.errors import Conflict, DomainError, NotFound
from sladesk.knowledge import markdown, search, selectors, services
from sladesk.knowledge.choices import ArticleLanguage, ArticleStatus
from sladesk.knowledge.diffing import line_diff
from sladesk.knowledge.models import CONFIGURATION_FIELDS, Article, CustomerConfiguration
from sladesk.problems.selectors import problem_get
from sladesk.tickets.models import Ticket
from sladesk.tickets.selectors import support_staff, ticket_get_visible
from sladesk.web.common import actor_of, domain_errors_as_404, vendor_only
from sladesk.web.forms import Choices, CommentForm, add_domain_error
from sladesk.web.knowledge_forms import (
    ArticleFilterForm,
    ArticleForm,
    ConfigurationForm,
    ResolveWithArticleForm,
    ReviewForm,
    configuration_label,
)

PAGE_SIZE = 50
SEARCH_LIMIT = 50
HISTORY_LIMIT = 50
# Where the help centre shows an article to customers (a path: the reply's reader is on
# the same site as the desk).
HELP_ARTICLE_PATH = "/help/articles/{article_id}/"


def help_link(article: Article) -> str:
    """A Markdown link to the article in the help centre, for a reply."""
    title = article.title.replace("\\", "\\\\").replace("[", "\\[").replace("]", "\\]")
    return f"[{title}]({HELP_ARTICLE_PATH.format(article_id=article.pk)})"


def staff_page(view: Any) -> Any:
    """A page of the support team's: signed in, vendor staff (a customer gets 404), and a
    NotFound of a selector or service is the page's 404."""
    return login_required(vendor_only(domain_errors_as_404(view)))


# --- the list ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    article: Article
    snippet: str = ""  # safe HTML of a search hit


@staff_page
@require_GET
def kb_list(request: HttpRequest) -> HttpResponse:
    """Articles by status, audience, language and category, searched, or those to review."""
    user = actor_of(request)
    form = ArticleFilterForm(request.GET or None, categories=_categories())
    data: dict[str, Any] = {}
    if form.is_bound:
        form.is_valid()  # an unknown value drops that filter, not the others
        data = form.cleaned_data
    articles = selectors.article_list(
        user=user,
        status=data.get("status") or "",
        audience=data.get("audience") or "",
        language=data.get("language") or "",
        category_id=data.get("category"),
        stale=bool(data.get("stale")),
    )
    query = (data.get("q") or "").strip()
    page = None
    if query:
        hits = search.search(articles, query, limit=SEARCH_LIMIT)
        counted = selectors.articles_with_ticket_counts(
            articles.filter(pk__in=[hit.article.pk for hit in hits])
        ).in_bulk()
        rows = [
            Row(counted[hit.article.pk], hit.snippet) for hit in hits if hit.article.pk in counted
        ]
    else:
        page = Paginator(selectors.articles_with_ticket_counts(articles), PAGE_SIZE).get_page(
            request.GET.get("page")
        )
        rows = [Row(article) for article in page]
    parameters = request.GET.copy()
    parameters.pop("page", None)
    context = {
        "form": form,
        "rows": rows,
        "page": page,
        "query": query,
        "parameters": parameters.urlencode(),
        "stale": bool(data.get("stale")),
        "today": clock.now().date(),
    }
    if getattr(request, "htmx", False):
        return render(request, "web/_kb_list.html", context)
    return render(request, "web/kb_list.html", context)


def _categories() -> Choices:
    return [(category.pk, category.name) for category in selectors.category_list()]


# --- writing -----------------------------------------------------------------------------


def _article_options() -> dict[str, Choices]:
    return {
        "organisation": [
            (organisation.pk, organisation.name)
            for organisation in account_selectors.customer_organisations()
        ],
        "category": _categories(),
        "owner": [(person.pk, str(person)) for person in support_staff()],
        "services": [
            (service.pk, f"{service.organisation.name}: {service.name}")
            for service in account_selectors.customer_services()
        ],
    }


def _initial_of(article: Article) -> dict[str, Any]:
    return {
        "title": article.title,
        "body": article.body,
        "language": article.language,
        "audience": article.audience,
        "organisation": article.organisation_id,
        "status": article.status,
        "category": article.category_id,
        "owner": article.owner_id,
        "review_on": article.review_on,
        "tags": ", ".join(tag.name for tag in article.tags.all()),
        "services": [service.pk for service in article.services.all()],
        "version": article.version,
    }


def _translation_initial(user: User, original: Article) -> dict[str, Any]:
    """A translation starts as a copy of the article in a language it lacks yet."""
    taken = {original.language} | {
        translation.language
        for translation in selectors.article_translations(user=user, article=original)
    }
    free = [code for code in ArticleLanguage.values if code not in taken]
    return {
        **_initial_of(original),
        "language": free[0] if free else original.language,
        "status": ArticleStatus.DRAFT,
        "owner": user.pk,
        "version": None,
    }


def _changes(data: dict[str, Any]) -> dict[str, Any]:
    return {
        "title": data["title"],
        "body": data["body"],
        "language": data["language"],
        "audience": data["audience"],
        "organisation_id": data["organisation"],
        "status": data["status"],
        "category_id": data["category"],
        "owner_id": data["owner"],
        "review_on": data["review_on"],
        "tags": services.tags_of([data["tags"]]),
        "service_ids": tuple(data["services"]),
    }


@dataclass(frozen=True)
class ArticleConflict:
    """Someone saved the article after this form was loaded: their version, shown beside
    what this person wrote, and how the two differ."""

    newer: Article
    diff: list[Any]


def _article_page(
    request: HttpRequest, *, article: Article | None = None, original: Article | None = None
) -> HttpResponseBase:
    """The form of a new article, a translation of `original`, or an edit of `article`."""
    user = actor_of(request)
    options = _article_options()
    conflict: ArticleConflict | None = None
    if request.method == "POST":
        form = ArticleForm(request.POST, options=options)
        if form.is_valid():
            fields = _changes(form.cleaned_data)
            try:
                if article is None:
                    saved = services.article_create(
                        actor=user,
                        draft=services.ArticleDraft(
                            **fields, translation_of_id=original.pk if original else None
                        ),
                    )
                else:
                    saved = services.article_update(
                        actor=user,
                        article_id=article.pk,
                        expected_version=form.cleaned_data["version"] or 0,
                        changes=fields,
                    )
            except Conflict as error:
                assert article is not None  # noqa: S101  # only an edit has a version to miss
                newer = selectors.article_get_readable(user=user, article_id=article.pk)
                conflict = ArticleConflict(newer, line_diff(newer.body, fields["body"]))
                # The form keeps every word typed; saving again knowingly replaces `newer`.
                data = request.POST.copy()
                data["version"] = str(newer.version)
                form = ArticleForm(data, options=options)
                form.is_valid()
                form.add_error(None, error.message)
            except DomainError as error:
                add_domain_error(form, error)
            else:
                messages.success(request, _("The article is saved."))
                return redirect("web:kb_detail", article_id=saved.pk)
    elif article is not None:
        form = ArticleForm(initial=_initial_of(article), options=options)
    elif original is not None:
        form = ArticleForm(initial=_translation_initial(user, original), options=options)
    else:
        language = user.language if user.language in ArticleLanguage.values else "en"
        form = ArticleForm(initial={"language": language, "owner": user.pk}, options=options)
    _wire_audience(form)
    return render(
        request,
        "web/kb_edit.html",
        {"form": form, "article": article, "original": original, "conflict": conflict},
    )


def _wire_audience(form: ArticleForm) -> None:
    """Choosing the audience brings the organisation field in or out (htmx)."""
    form.fields["audience"].widget.attrs.update(
        {
            "hx-get": reverse("web:kb_organisation_field"),
            "hx-target": "#kb-organisation",
            "hx-swap": "outerHTML",
            "hx-include": "#id_organisation",
        }
    )


@staff_page
def kb_new(request: HttpRequest) -> HttpResponseBase:
    return _article_page(request)


@staff_page
def kb_edit(request: HttpRequest, article_id: int) -> HttpResponseBase:
    article = selectors.article_get_readable(user=actor_of(request), article_id=article_id)
    return _article_page(request, article=article)


@staff_page
def kb_translate(request: HttpRequest, article_id: int) -> HttpResponseBase:
    """A new article in another language, tied to this one's original."""
    original = selectors.article_get_readable(user=actor_of(request), article_id=article_id)
    return _article_page(request, original=original)


@staff_page
@require_POST
def kb_preview(request: HttpRequest) -> HttpResponse:
    """The body as readers will see it (htmx): rendered and sanitised like a saved one."""
    body = request.POST.get("body", "")
    if len(body) > services.BODY_LIMIT:
        error = _("The article is longer than %(limit)d characters.") % {
            "limit": services.BODY_LIMIT
        }
        return render(request, "web/_kb_preview.html", {"error": error})
    return render(request, "web/_kb_preview.html", {"html": markdown.render(body)})


@staff_page
@require_GET
def kb_organisation_field(request: HttpRequest) -> HttpResponse:
    """The article form's organisation field (htmx), shown for that audience only."""
    options: dict[str, Choices] = {"organisation": _article_options()["organisation"]}
    form = ArticleForm(
        initial={
            "audience": request.GET.get("audience", ""),
            "organisation": request.GET.get("organisation", ""),
        },
        options={**options, "category": [], "owner": [], "services": []},
    )
    return render(request, "web/_kb_organisation_field.html", {"form": form})


# --- reading -----------------------------------------------------------------------------


@staff_page
@require_GET
def kb_detail(request: HttpRequest, article_id: int) -> HttpResponse:
    """The article as the support team reads it, with what readers made of it."""
    user = actor_of(request)
    article = selectors.article_get_readable(user=user, article_id=article_id)
    translations = list(selectors.article_translations(user=user, article=article))
    taken = {article.language} | {translation.language for translation in translations}
    context = {
        "article": article,
        "translations": translations,
        "can_translate": any(code not in taken for code in ArticleLanguage.values),
        "versions": selectors.article_versions(article=article)[:HISTORY_LIMIT],
        "links": selectors.article_ticket_links(user=user, article=article)[:HISTORY_LIMIT],
        "review_form": ReviewForm(initial={"review_on": article.review_on}),
        "stale": selectors.article_is_stale(article=article),
        "help_link": help_link(article),
    }
    return render(request, "web/kb_detail.html", context)


@staff_page
@require_POST
def kb_reviewed(request: HttpRequest, article_id: int) -> HttpResponseBase:
    user = actor_of(request)
    selectors.article_get_readable(user=user, article_id=article_id)  # 404 before anything
    form = ReviewForm(request.POST)
    if form.is_valid():
        services.article_reviewed(
            actor=user, article_id=article_id, review_on=form.cleaned_data["review_on"]
        )
        messages.success(request, _("The article is marked reviewed."))
    else:
        messages.error(request, _("Give the next review date as a date."))
    return redirect("web:kb_detail", article_id=article_id)


@staff_page
@require_GET
def kb_version(request: HttpRequest, article_id: int, number: int) -> HttpResponse:
    """What one save changed: the version against the one before it."""
    article = selectors.article_get_readable(user=actor_of(request), article_id=article_id)
    version = selectors.article_version_get(article=article, number=number)
    previous = selectors.article_version_before(version=version)
    context = {
        "article": article,
        "version": version,
        "previous": previous,
        "diff": line_diff(previous.body if previous else "", version.body),
        "title_changed": previous is not None and previous.title != version.title,
    }
    return render(request, "web/kb_version.html", context)


# --- the ticket page ---------------------------------------------------------------------


@dataclass(frozen=True)
class ArticleRow:
    article: Article
    link: str  # the Markdown link for a reply; empty when the requester may not read it
    snippet: str = ""  # safe HTML of a suggestion


def ticket_knowledge(*, user: User, ticket: Ticket) -> dict[str, Any]:
    """The ticket page's knowledge panels (the support team's only): suggested and linked
    articles (those to resolve with), the customer's configuration."""
    if not user.is_vendor_staff:
        return {}
    links = list(selectors.ticket_article_links(user=user, ticket=ticket))
    linked = {link.article_id: link.article for link in links}
    shareable = selectors.article_ids_readable(user=ticket.requester, article_ids=list(linked))
    suggestions = [
        ArticleRow(
            suggestion.hit.article,
            help_link(suggestion.hit.article) if suggestion.shareable else "",
            suggestion.hit.snippet,
        )
        for suggestion in selectors.ticket_suggestions(user=user, ticket=ticket)
    ]
    candidates = [
        ArticleRow(article, help_link(article) if article.pk in shareable else "")
        for article in linked.values()
    ]
    candidates += [row for row in suggestions if row.article.pk not in linked]
    configuration: CustomerConfiguration | None
    try:
        configuration = selectors.configuration_get(
            user=user, organisation_id=ticket.organisation_id
        )
    except NotFound:  # the vendor's own ticket: no customer set-up to show
        configuration = None
    return {
        "kb_suggestions": suggestions,
        "kb_links": links,
        "kb_candidates": candidates,
        "kb_configuration": configuration,
        "kb_configuration_fields": _configuration_rows(configuration),
    }


def _configuration_rows(configuration: CustomerConfiguration | None) -> list[tuple[str, str]]:
    if configuration is None:
        return []
    return [
        (configuration_label(name), getattr(configuration, name)) for name in CONFIGURATION_FIELDS
    ]


def ticket_post(view: Any) -> Any:
    """A POST about one ticket: the ticket found (404) before anything else."""

    @staff_page
    @require_POST
    def wrapper(request: HttpRequest, ticket_id: int, **kwargs: Any) -> HttpResponseBase:
        ticket = ticket_get_visible(user=actor_of(request), ticket_id=ticket_id, related=())
        return view(request, ticket, **kwargs)

    wrapper.__name__ = view.__name__
    wrapper.__doc__ = view.__doc__
    return wrapper


@ticket_post
def kb_link_ticket(request: HttpRequest, ticket: Ticket, article_id: int) -> HttpResponseBase:
    try:
        services.article_link_ticket(
            actor=actor_of(request), ticket_id=ticket.pk, article_id=article_id
        )
    except NotFound:
        raise
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The article is linked to the ticket."))
    return redirect("web:ticket_detail", ticket_id=ticket.pk)


@ticket_post
def kb_insert_link(request: HttpRequest, ticket: Ticket, article_id: int) -> HttpResponse:
    """The reply's text with a link to the article added (htmx): only for an article the
    ticket's requester may read."""
    selectors.article_get_readable(user=actor_of(request), article_id=article_id)
    try:
        article = selectors.article_get_readable(user=ticket.requester, article_id=article_id)
    except NotFound as error:
        raise Http404(_("The customer may not read this article.")) from error
    body = request.POST.get("body", "").rstrip()
    body = f"{body}\n\n{help_link(article)}" if body else help_link(article)
    return render(request, "web/_kb_reply_body.html", {"comment_form": CommentForm({"body": body})})


@ticket_post
def kb_resolve_with(request: HttpRequest, ticket: Ticket, article_id: int) -> HttpResponseBase:
    """Resolve the ticket with the article as its answer."""
    form = ResolveWithArticleForm(request.POST, prefix=f"resolve-{article_id}")
    if not form.is_valid():
        messages.error(request, _("Write the resolution for the customer."))
        return redirect("web:ticket_detail", ticket_id=ticket.pk)
    try:
        services.ticket_resolve_with_article(
            actor=actor_of(request),
            ticket_id=ticket.pk,
            article_id=article_id,
            resolution=form.cleaned_data["resolution"],
        )
    except NotFound:
        raise
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The ticket is resolved with the article."))
    return redirect("web:ticket_detail", ticket_id=ticket.pk)


@ticket_post
def kb_from_ticket(request: HttpRequest, ticket: Ticket) -> HttpResponseBase:
    """A draft article from the ticket's question and the desk's answer."""
    try:
        article = services.article_from_ticket(actor=actor_of(request), ticket_id=ticket.pk)
    except NotFound:
        raise
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("web:ticket_detail", ticket_id=ticket.pk)
    messages.success(request, _("A draft article is written from the ticket: edit it."))
    return redirect("web:kb_edit", article_id=article.pk)


# --- the problem page --------------------------------------------------------------------


@staff_page
@require_POST
def kb_from_problem(request: HttpRequest, problem_id: int) -> HttpResponseBase:
    """A draft article from the problem's known error."""
    user = actor_of(request)
    problem_get(user=user, problem_id=problem_id)  # 404 before anything else
    try:
        article = services.article_from_problem(actor=user, problem_id=problem_id)
    except NotFound:
        raise
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("web:problem_detail", problem_id=problem_id)
    messages.success(request, _("A draft article is written from the problem: edit it."))
    return redirect("web:kb_edit", article_id=article.pk)


# --- customers' configurations -----------------------------------------------------------


@staff_page
def kb_configuration(request: HttpRequest, organisation_id: int) -> HttpResponse:
    """A customer's configuration: the form (refused over a newer save) and its history."""
    user = actor_of(request)
    configuration = selectors.configuration_get(user=user, organisation_id=organisation_id)
    newer: CustomerConfiguration | None = None
    initial = {name: getattr(configuration, name) for name in CONFIGURATION_FIELDS}
    form = ConfigurationForm(
        request.POST if request.method == "POST" else None,
        initial={**initial, "version": configuration.version},
    )
    if form.is_bound and form.is_valid():
        data = {name: form.cleaned_data[name] for name in CONFIGURATION_FIELDS}
        try:
            services.configuration_save(
                actor=user,
                organisation_id=organisation_id,
                expected_version=form.cleaned_data["version"],
                data=data,
            )
        except Conflict as error:
            newer = configuration
            # Every word typed stays; saving again knowingly replaces the newer version.
            posted = request.POST.copy()
            posted["version"] = str(configuration.version)
            form = ConfigurationForm(posted)
            form.is_valid()
            form.add_error(None, error.message)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, _("The configuration is saved."))
            return redirect("web:kb_configuration", organisation_id=organisation_id)
    context = {
        "configuration": configuration,
        "organisation": configuration.organisation,
        "form": form,
        "newer": _configuration_rows(newer),
        "newer_configuration": newer,
        "history": [
            (
                version,
                [
                    (configuration_label(name), version.data.get(name, ""))
                    for name in CONFIGURATION_FIELDS
                ],
            )
            for version in selectors.configuration_versions(configuration=configuration)[
                :HISTORY_LIMIT
            ]
        ],
    }
    return render(request, "web/kb_configuration.html", context)


urlpatterns: list[URLPattern] = [
    path("kb/", kb_list, name="kb_list"),
    path("kb/new/", kb_new, name="kb_new"),
    path("kb/preview/", kb_preview, name="kb_preview"),
    path("kb/organisation-field/", kb_organisation_field, name="kb_organisation_field"),
    path("kb/<int:article_id>/", kb_detail, name="kb_detail"),
    path("kb/<int:article_id>/edit/", kb_edit, name="kb_edit"),
    path("kb/<int:article_id>/translate/", kb_translate, name="kb_translate"),
    path("kb/<int:article_id>/reviewed/", kb_reviewed, name="kb_reviewed"),
    path("kb/<int:article_id>/versions/<int:number>/", kb_version, name="kb_version"),
    path(
        "kb/<int:article_id>/tickets/<int:ticket_id>/link/",
        kb_link_ticket,
        name="kb_link_ticket",
    ),
    path(
        "kb/<int:article_id>/tickets/<int:ticket_id>/insert/",
        kb_insert_link,
        name="kb_insert_link",
    ),
    path(
        "kb/<int:article_id>/tickets/<int:ticket_id>/resolve/",
        kb_resolve_with,
        name="kb_resolve_with",
    ),
    path("kb/from-ticket/<int:ticket_id>/", kb_from_ticket, name="kb_from_ticket"),
    path("kb/from-problem/<int:problem_id>/", kb_from_problem, name="kb_from_problem"),
    path(
        "kb/configurations/<int:organisation_id>/",
        kb_configuration,
        name="kb_configuration",
    ),
]
