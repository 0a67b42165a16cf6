"""Reading the knowledge base. `article_readable` is the one audience rule: every page,
endpoint, search and suggestion starts from it."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _

from sladesk.accounts.choices import BlockReason, OrganisationKind, Role
from sladesk.accounts.models import Organisation, User
from sladesk.accounts.selectors import organisation_block_reason
from sladesk.core import clock
from sladesk.core.errors import NotFound
from sladesk.knowledge import search
from sladesk.knowledge.choices import ArticleStatus, Audience
from sladesk.knowledge.models import (
    Article,
    ArticleAttachment,
    ArticleVersion,
    Category,
    ConfigurationVersion,
    CustomerConfiguration,
    TicketArticle,
)
from sladesk.problems.models import Problem
from sladesk.tickets.models import Ticket
from sladesk.tickets.selectors import ticket_visible_queryset

LIST_RELATED = ("category", "owner", "organisation")


def article_readable(*, user: User | None) -> QuerySet[Article]:
    """The articles `user` may read (None: someone signed out).

    The support team reads every article in every status. Anyone else reads published
    articles only: signed out, the public ones; a customer of a working contract also those
    for signed-in customers and those for their own organisation. Internal articles never
    reach a customer."""
    articles = Article.objects.all()
    if user is not None and user.is_active and user.is_vendor_staff:
        return articles
    published = articles.filter(status=ArticleStatus.PUBLISHED)
    if user is None or not user.is_active or not user.is_customer:
        return published.filter(audience=Audience.PUBLIC)
    # As for tickets: a blocked organisation (its contract ended) reads what anyone reads.
    if organisation_block_reason(organisation_id=user.organisation_id) != BlockReason.NONE:
        return published.filter(audience=Audience.PUBLIC)
    return published.filter(
        Q(audience__in=(Audience.PUBLIC, Audience.CUSTOMERS))
        | Q(audience=Audience.ORGANISATION, organisation_id=user.organisation_id)
    )


def article_get_readable(*, user: User | None, article_id: int) -> Article:
    """One article `user` may read; for anyone else it does not exist."""
    article = (
        article_readable(user=user)
        .select_related(*LIST_RELATED)
        .prefetch_related("tags", "services")
        .filter(pk=article_id)
        .first()
    )
    if article is None:
        raise NotFound(_("No such article."))
    return article


def article_list(
    *,
    user: User | None,
    status: str = "",
    audience: str = "",
    language: str = "",
    category_id: int | None = None,
    stale: bool = False,
) -> QuerySet[Article]:
    """Readable articles, most recently changed first, narrowed by the given filters
    (an unknown status, audience or language finds nothing)."""
    articles = article_readable(user=user).select_related(*LIST_RELATED)
    if status:
        articles = articles.filter(status=status)
    if audience:
        articles = articles.filter(audience=audience)
    if language:
        articles = articles.filter(language=language)
    if category_id is not None:
        articles = articles.filter(category_id=category_id)
    if stale:
        articles = articles_stale(articles)
    return articles.order_by("-updated_at", "-id")


def articles_stale(articles: QuerySet[Article]) -> QuerySet[Article]:
    """Of `articles`, the published ones past their review date or flagged for review."""
    return articles.filter(status=ArticleStatus.PUBLISHED).filter(
        Q(review_on__lt=clock.now().date()) | ~Q(review_reason="")
    )


def article_is_stale(*, article: Article) -> bool:
    """The rule of `articles_stale` for one article at hand."""
    overdue = article.review_on is not None and article.review_on < clock.now().date()
    return article.status == ArticleStatus.PUBLISHED and (overdue or bool(article.review_reason))


def article_attachment_get_readable(*, user: User | None, attachment_id: int) -> ArticleAttachment:
    """A file of an article `user` may read; for anyone else it does not exist."""
    attachment = (
        ArticleAttachment.objects.filter(
            pk=attachment_id, article__in=article_readable(user=user).values("pk")
        )
        .select_related("article")
        .first()
    )
    if attachment is None:
        raise NotFound(_("No such file."))
    return attachment


def article_translations(*, user: User | None, article: Article) -> QuerySet[Article]:
    """The other languages of `article` that `user` may read."""
    original = article.original_id
    return (
        article_readable(user=user)
        .filter(Q(pk=original) | Q(translation_of_id=original))
        .exclude(pk=article.pk)
        .order_by("language")
    )


def article_versions(*, article: Article) -> QuerySet[ArticleVersion]:
    """The versions of an article `article_get_readable` gave, newest first."""
    return article.versions.select_related("edited_by").order_by("-number")


def article_version_get(*, article: Article, number: int) -> ArticleVersion:
    """One version of an article `article_get_readable` gave."""
    version = article_versions(article=article).filter(number=number).first()
    if version is None:
        raise NotFound(_("No such version."))
    return version


def article_version_before(*, version: ArticleVersion) -> ArticleVersion | None:
    """The version saved just before `version` (None for the first)."""
    return (
        ArticleVersion.objects.filter(article_id=version.article_id, number__lt=version.number)
        .order_by("-number")
        .first()
    )


def articles_with_ticket_counts(articles: QuerySet[Article]) -> QuerySet[Article]:
    """`articles`, each with `linked_tickets`: how many tickets it is tied to."""
    return articles.annotate(linked_tickets=Count("ticket_links__ticket", distinct=True))


def category_list() -> QuerySet[Category]:
    return Category.objects.order_by("position", "name")


def article_ticket_links(*, user: User, article: Article) -> QuerySet[TicketArticle]:
    """The ties of an article to the tickets `user` may see, newest first."""
    return (
        TicketArticle.objects.filter(article=article, ticket__in=ticket_visible_queryset(user=user))
        .select_related("ticket", "linked_by")
        .order_by("-linked_at", "-id")
    )


def ticket_article_links(*, user: User, ticket: Ticket) -> QuerySet[TicketArticle]:
    """The articles tied to a ticket (one the caller read through `ticket_get_visible`) that
    `user` may read, newest first."""
    return (
        TicketArticle.objects.filter(ticket=ticket, article__in=article_readable(user=user))
        .select_related("article")
        .order_by("-linked_at", "-id")
    )


def problem_articles(*, user: User, problem: Problem) -> QuerySet[Article]:
    """The articles written for a problem (one the caller read through `problem_get`)."""
    return article_readable(user=user).filter(problem=problem).order_by("language", "-id")


def article_ids_readable(*, user: User | None, article_ids: list[int]) -> set[int]:
    """Which of `article_ids` `user` may read."""
    if not article_ids:
        return set()
    return set(article_readable(user=user).filter(pk__in=article_ids).values_list("pk", flat=True))


@dataclass(frozen=True)
class Suggestion:
    hit: search.Hit
    # The ticket's requester may read the article too: a link to it helps them.
    shareable: bool


def ticket_suggestions(*, user: User, ticket: Ticket, limit: int = 5) -> list[Suggestion]:
    """The published articles that best match a ticket (the caller read it through
    `ticket_get_visible`): its title, description, service and classification; each marked
    whether the ticket's requester may read it (signed out, for a ticket without one)."""
    text = " ".join(
        part
        for part in (
            ticket.title,
            ticket.description,
            ticket.service.name if ticket.service else "",
            str(ticket.ticket_class) if ticket.ticket_class else "",
        )
        if part
    )
    readable = article_readable(user=user).filter(status=ArticleStatus.PUBLISHED)
    hits = search.suggest(readable, text, limit=limit)
    if not hits:
        return []
    shareable = article_ids_readable(
        user=ticket.requester, article_ids=[hit.article.pk for hit in hits]
    )
    return [Suggestion(hit=hit, shareable=hit.article.pk in shareable) for hit in hits]


def _configuration_organisation(*, user: User, organisation_id: int) -> Organisation:
    """A customer organisation whose configuration `user` may read: the support team any,
    a specialist their own; for anyone else it does not exist."""
    organisation = Organisation.objects.filter(
        pk=organisation_id, kind=OrganisationKind.CUSTOMER
    ).first()
    allowed = user.is_active and (
        user.is_vendor_staff
        or (user.role == Role.SPECIALIST and user.organisation_id == organisation_id)
    )
    if organisation is None or not allowed:
        raise NotFound(_("No such organisation."))
    return organisation


def configuration_get(*, user: User, organisation_id: int) -> CustomerConfiguration:
    """An organisation's configuration (an empty, unsaved one if none was written yet)."""
    organisation = _configuration_organisation(user=user, organisation_id=organisation_id)
    configuration = (
        CustomerConfiguration.objects.select_related("updated_by")
        .filter(organisation=organisation)
        .first()
    )
    return configuration or CustomerConfiguration(organisation=organisation)


def configuration_versions(
    *, configuration: CustomerConfiguration
) -> QuerySet[ConfigurationVersion]:
    """The history of a configuration `configuration_get` gave, newest first."""
    if configuration.pk is None:
        return ConfigurationVersion.objects.none()
    return configuration.versions.select_related("edited_by").order_by("-number")
