"""Reading the knowledge base. `article_readable` is the one audience rule: every page,
endpoint, search and suggestion starts from it."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from sladesk.accounts.choices import BlockReason, OrganisationKind, Role
from sladesk.accounts.models import Organisation, User
from sladesk.accounts.selectors import organisation_block_reason
from sladesk.core import clock
from sladesk.core.errors import NotFound
from sladesk.knowledge.choices import ArticleStatus, Audience
from sladesk.knowledge.models import (
    Article,
    ArticleVersion,
    ConfigurationVersion,
    CustomerConfiguration,
)

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
