"""The help centre (`/help/`, also for people signed out), deflection on the portal's
new-ticket page, and a customer's own configuration in the portal.

Who reads what is decided by `knowledge.selectors.article_readable` alone: every list,
search, suggestion and article page starts from it."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from sladesk.accounts.models import User
from sladesk.core.errors import DomainError
from sladesk.knowledge import search, selectors, services
from sladesk.knowledge.models import CONFIGURATION_FIELDS, Article, Category
from sladesk.web.common import actor_of, domain_errors_as_404

LIST_SIZE = 10  # articles in "most viewed" and "recently updated"
PAGE_SIZE = 30  # articles of one category per page
QUERY_LIMIT = 200  # characters of a search kept (search itself reads at most 24 words)
DRAFT_LIMIT = services.DEFLECTION_TEXT_LIMIT  # characters of a draft read for suggestions


def _reader(request: HttpRequest) -> User | None:
    """The signed-in person, or None for someone signed out."""
    user = request.user
    return user if isinstance(user, User) and user.is_authenticated else None


def _language() -> str:
    return (get_language() or "en").split("-")[0]


def _clean(text: str, limit: int) -> str:
    """Text from a query string or a form, bounded and without NUL (no database keeps it)."""
    return text[:limit].replace("\x00", "")


def _id_of(value: str) -> int | None:
    """An id from a query string: ASCII digits a column can hold, else nothing."""
    return int(value) if value.isascii() and value.isdigit() and len(value) < 19 else None


def _one_per_article(articles: Iterable[Article], language: str, size: int) -> list[Article]:
    """One entry per article and its translations (the reader's language when among them),
    in the order given, at most `size`."""
    chosen: dict[int, Article] = {}
    for article in articles:
        kept = chosen.get(article.original_id)
        if kept is None:
            if len(chosen) < size:
                chosen[article.original_id] = article
        elif kept.language != language and article.language == language:
            chosen[article.original_id] = article
    return list(chosen.values())


def _categories(readable: QuerySet[Article]) -> list[tuple[Category, int]]:
    """The categories holding readable articles, with how many each holds."""
    counts = dict(
        readable.exclude(category=None)
        .order_by()
        .values_list("category_id")
        .annotate(count=Count("pk"))
    )
    return [(category, counts[category.pk]) for category in Category.objects.filter(pk__in=counts)]


@require_GET
def help_home(request: HttpRequest) -> HttpResponse:
    """Search, categories, and the most read and most recently changed articles."""
    reader = _reader(request)
    language = _language()
    readable = selectors.article_readable(user=reader)
    query = _clean(request.GET.get("q", ""), QUERY_LIMIT).strip()
    category_id = _id_of(request.GET.get("category", ""))
    category = Category.objects.filter(pk=category_id).first() if category_id else None
    scope = readable.filter(category=category) if category else readable
    context: dict[str, object] = {
        "query": query,
        "category": category,
        "categories": _categories(readable),
    }
    if query:
        context["hits"] = search.search(scope, query)
    elif category:
        articles = scope.select_related("category").order_by("title", "id")
        context["page"] = Paginator(articles, PAGE_SIZE).get_page(request.GET.get("page"))
    else:
        fetch = LIST_SIZE * 3  # translations of one article collapse into one entry
        context["most_viewed"] = _one_per_article(
            readable.order_by("-views", "-id")[:fetch], language, LIST_SIZE
        )
        context["recent"] = _one_per_article(
            readable.order_by("-updated_at", "-id")[:fetch], language, LIST_SIZE
        )
    return render(request, "web/help_home.html", context)


@require_GET
@domain_errors_as_404
def help_article(request: HttpRequest, article_id: int) -> HttpResponseBase:
    """One article, in the reader's language when a translation exists (unless the reader
    chose this language by its link), with its other languages; each reading is counted."""
    reader = _reader(request)
    article = selectors.article_get_readable(user=reader, article_id=article_id)
    translations = list(selectors.article_translations(user=reader, article=article))
    language = _language()
    if article.language != language and request.GET.get("lang") != article.language:
        own = next((other for other in translations if other.language == language), None)
        if own is not None:
            return redirect("web:help_article", article_id=own.pk)
    services.article_viewed(article=article)
    return render(
        request, "web/help_article.html", {"article": article, "translations": translations}
    )


def _session_key(request: HttpRequest) -> str:
    """This browser's session key, the session created (and its cookie sent) if needed."""
    if not request.session.session_key:
        request.session["help_reader"] = True  # marks it changed: the cookie goes out
        request.session.save()
    return request.session.session_key or ""


@require_POST
@domain_errors_as_404
def help_vote(request: HttpRequest, article_id: int) -> HttpResponseBase:
    """ "Was this helpful?": one vote per person (or browser session); a second one changes it."""
    reader = _reader(request)
    selectors.article_get_readable(user=reader, article_id=article_id)  # 404 before anything
    answer = request.POST.get("helpful", "")
    if answer not in ("yes", "no"):
        messages.error(request, _("Choose yes or no."))
    else:
        try:
            services.article_vote(
                user=reader,
                session_key="" if reader else _session_key(request),
                article_id=article_id,
                helpful=answer == "yes",
            )
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Thank you for your feedback."))
    return redirect("web:help_article", article_id=article_id)


@require_http_methods(["GET", "POST"])
def help_suggestions(request: HttpRequest) -> HttpResponse:
    """Articles matching a draft (the partial under the new-ticket page's title). Asked by
    POST from that page (a draft may be longer than a URL should be), or by GET."""
    if request.GET.get("dismiss"):
        return render(request, "web/_help_suggestions_dismissed.html")
    reader = _reader(request)
    title = request.POST.get("title") or request.GET.get("title") or ""
    description = request.POST.get("description") or request.GET.get("description") or ""
    text = _clean(f"{title}\n\n{description}", DRAFT_LIMIT)
    hits = search.suggest(selectors.article_readable(user=reader), text)
    return render(
        request,
        "web/_help_suggestions.html",
        {"hits": hits, "can_deflect": reader is not None and reader.is_customer},
    )


@login_required
@require_POST
@domain_errors_as_404
def help_deflect(request: HttpRequest, article_id: int) -> HttpResponseBase:
    """ "This answered my question": a deflection counted with the draft; no ticket."""
    user = actor_of(request)
    if not user.is_customer:
        raise Http404
    title = _clean(request.POST.get("title", ""), DRAFT_LIMIT).strip()
    description = _clean(request.POST.get("description", ""), DRAFT_LIMIT).strip()
    text = "\n\n".join(part for part in (title, description) if part)
    services.article_deflect(user=user, article_id=article_id, text=text)
    target = reverse("web:help_answered", kwargs={"article_id": article_id})
    if getattr(request, "htmx", False):
        return HttpResponseClientRedirect(target)
    return redirect(target)


@login_required
@require_GET
@domain_errors_as_404
def help_answered(request: HttpRequest, article_id: int) -> HttpResponse:
    """The thank-you page after a deflection."""
    article = selectors.article_get_readable(user=actor_of(request), article_id=article_id)
    return render(request, "web/help_answered.html", {"article": article})


@login_required
@require_GET
@domain_errors_as_404
def help_configuration(request: HttpRequest) -> HttpResponse:
    """The specialist's own organisation's configuration, as the support team keeps it."""
    user = actor_of(request)
    if user.organisation_id is None:
        raise Http404
    configuration = selectors.configuration_get(user=user, organisation_id=user.organisation_id)
    labels = {field.name: field.verbose_name for field in configuration._meta.concrete_fields}
    fields = [(labels[name], getattr(configuration, name)) for name in CONFIGURATION_FIELDS]
    return render(
        request,
        "web/help_configuration.html",
        {"configuration": configuration, "fields": fields},
    )


urlpatterns: list[URLPattern] = [
    path("help/", help_home, name="help_home"),
    path("help/articles/<int:article_id>/", help_article, name="help_article"),
    path("help/articles/<int:article_id>/vote/", help_vote, name="help_vote"),
    path("help/articles/<int:article_id>/deflect/", help_deflect, name="help_deflect"),
    path("help/articles/<int:article_id>/answered/", help_answered, name="help_answered"),
    path("help/suggestions/", help_suggestions, name="help_suggestions"),
    path("help/configuration/", help_configuration, name="help_configuration"),
]
