"""The knowledge base: articles (written by the support team, read by whoever
`selectors.article_readable` lets read them), search and suggestions, and each customer
organisation's configuration."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping
from typing import Annotated, Any

from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest
from ninja import Query, Router, Schema
from ninja.responses import Status
from pydantic import BeforeValidator, ConfigDict, Field, StrictBool

from sladesk.accounts.models import User
from sladesk.api.auth import actor, writer
from sladesk.api.pagination import keyset_page
from sladesk.api.schemas import StrictIn
from sladesk.knowledge import search, selectors, services
from sladesk.knowledge.choices import ArticleLanguage, ArticleStatus, Audience
from sladesk.knowledge.models import Article, ArticleVersion, CustomerConfiguration, TicketArticle
from sladesk.tickets.selectors import ticket_visible_queryset
from sladesk.tickets.services.common import require_vendor

router = Router(tags=["knowledge"])

KEYS = ["-updated_at", "-id"]
KEY_FIELDS = tuple(key.lstrip("-") for key in KEYS)
QUERY_LIMIT = 1000  # characters of a search or a draft to suggest for
CONFIGURATION_HISTORY = 100  # the newest saves a configuration shows


def _not_a_number(value: object) -> object:
    """Pydantic reads a number as seconds since 1970; the API takes ISO 8601 dates only."""
    if isinstance(value, int | float):
        raise ValueError("give an ISO 8601 date, not a number")
    return value


Day = Annotated[dt.date, BeforeValidator(_not_a_number)]


def _a_number(value: object) -> object:
    """Pydantic reads `true` as 1 and `"1"` as 1; a JSON Schema integer is a number (2.0
    is one, and pydantic takes it)."""
    if isinstance(value, bool | str):
        raise ValueError("give a number")
    return value


Id = Annotated[int, BeforeValidator(_a_number)]
TagName = Annotated[str, Field(min_length=1, max_length=50)]
Title = Annotated[str, Field(min_length=1, max_length=services.TITLE_LIMIT)]
Body = Annotated[str, Field(max_length=services.BODY_LIMIT)]
ConfigurationText = Annotated[str, Field(max_length=services.CONFIGURATION_LIMIT)]


# --- schemas -----------------------------------------------------------------------------


class TranslationOut(Schema):
    id: int
    language: str
    title: str


class ArticleOut(Schema):
    id: int
    title: str
    body: str
    body_html: str
    language: str
    status: str
    audience: str
    organisation_id: int | None
    owner_id: int | None
    category_id: int | None
    review_on: dt.date | None
    review_reason: str
    tags: list[str]
    service_ids: list[int]
    problem_id: int | None
    translation_of_id: int | None
    translations: list[TranslationOut]
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime
    published_at: dt.datetime | None
    views: int
    helpful_votes: int
    unhelpful_votes: int
    deflections: int
    linked_tickets: int


class ArticlePage(Schema):
    items: list[ArticleOut]
    next_cursor: str | None


class ChoicesIn(StrictIn):
    """Choices arrive as the enums' plain values, as the services take them."""

    model_config = ConfigDict(extra="forbid", use_enum_values=True)


class ArticleIn(ChoicesIn):
    title: Title
    body: Body = ""
    language: ArticleLanguage = ArticleLanguage.EN
    audience: Audience = Audience.INTERNAL
    organisation_id: Id | None = None
    status: ArticleStatus = ArticleStatus.DRAFT
    category_id: Id | None = None
    owner_id: Id | None = None  # else the author
    review_on: Day | None = None
    tags: list[TagName] = Field(default_factory=list, max_length=50)
    service_ids: list[Id] = Field(default_factory=list, max_length=100)
    translation_of_id: Id | None = None
    problem_id: Id | None = None


class ArticlePatch(ChoicesIn):
    """The fields to change, and the version the change is based on (tags and services
    given replace the article's)."""

    version: Id = Field(ge=1)
    title: Title | None = None
    body: Body | None = None
    language: ArticleLanguage | None = None
    audience: Audience | None = None
    organisation_id: Id | None = None
    status: ArticleStatus | None = None
    category_id: Id | None = None
    owner_id: Id | None = None
    review_on: Day | None = None
    tags: list[TagName] = Field(default_factory=list, max_length=50)
    service_ids: list[Id] = Field(default_factory=list, max_length=100)
    problem_id: Id | None = None


class VersionOut(Schema):
    number: int
    title: str
    status: str
    audience: str
    edited_by_id: int | None
    edited_at: dt.datetime


class VoteIn(StrictIn):
    helpful: StrictBool


class VotesOut(Schema):
    id: int
    helpful_votes: int
    unhelpful_votes: int


class SearchQuery(Schema):
    q: str = Field(min_length=1, max_length=QUERY_LIMIT)
    limit: int = Field(20, ge=1, le=50)


class SuggestQuery(Schema):
    text: str = Field(min_length=1, max_length=QUERY_LIMIT)
    limit: int = Field(5, ge=1, le=50)


class HitOut(Schema):
    id: int
    title: str
    snippet: str  # safe HTML: the text escaped, the words found in <mark>
    language: str
    audience: str


class HitList(Schema):
    items: list[HitOut]


class ConfigurationVersionOut(Schema):
    number: int
    edited_by_id: int | None
    edited_at: dt.datetime
    data: dict[str, Any]


class ConfigurationOut(Schema):
    organisation_id: int
    environment: str
    installed_versions: str
    integrations: str
    remote_access: str
    contacts: str
    notes: str
    version: int
    updated_by_id: int | None
    updated_at: dt.datetime | None  # None: never written
    history: list[ConfigurationVersionOut]


class ConfigurationIn(StrictIn):
    """The fields to write (the others stay), and the version the change is based on
    (0: never written)."""

    version: Id = Field(ge=0)
    environment: ConfigurationText | None = None
    installed_versions: ConfigurationText | None = None
    integrations: ConfigurationText | None = None
    remote_access: ConfigurationText | None = None
    contacts: ConfigurationText | None = None
    notes: ConfigurationText | None = None


# --- representations ---------------------------------------------------------------------


def _articles_out(user: User, articles: list[Article]) -> list[ArticleOut]:
    """Articles as the API shows them, in three queries whatever their number: the tickets
    tied to each (of those the reader may see), and the translations the reader may read
    (through the one audience rule). Tags and services must be prefetched."""
    ids = [article.pk for article in articles]
    linked = dict(
        # Only the tickets the reader may see: a customer learns nothing of others' tickets.
        TicketArticle.objects.filter(
            article_id__in=ids, ticket__in=ticket_visible_queryset(user=user)
        )
        .values_list("article_id")
        .annotate(count=Count("ticket_id", distinct=True))
        .values_list("article_id", "count")
    )
    originals = {article.original_id for article in articles}
    family: dict[int, list[Mapping[str, Any]]] = defaultdict(list)
    for row in (
        selectors.article_readable(user=user)
        .filter(Q(pk__in=originals) | Q(translation_of_id__in=originals))
        .order_by("language", "id")
        .values("id", "language", "title", "translation_of_id")
    ):
        family[row["translation_of_id"] or row["id"]].append(row)
    return [
        ArticleOut(
            id=article.pk,
            title=article.title,
            body=article.body,
            body_html=article.body_html,
            language=article.language,
            status=article.status,
            audience=article.audience,
            organisation_id=article.organisation_id,
            owner_id=article.owner_id,
            category_id=article.category_id,
            review_on=article.review_on,
            review_reason=article.review_reason,
            tags=sorted(tag.name for tag in article.tags.all()),
            service_ids=sorted(service.pk for service in article.services.all()),
            problem_id=article.problem_id,
            translation_of_id=article.translation_of_id,
            translations=[
                TranslationOut(id=row["id"], language=row["language"], title=row["title"])
                for row in family[article.original_id]
                if row["id"] != article.pk
            ],
            version=article.version,
            created_at=article.created_at,
            updated_at=article.updated_at,
            published_at=article.published_at,
            views=article.views,
            helpful_votes=article.helpful_votes,
            unhelpful_votes=article.unhelpful_votes,
            deflections=article.deflections,
            linked_tickets=linked.get(article.pk, 0),
        )
        for article in articles
    ]


def _article_out(user: User, article_id: int) -> ArticleOut:
    article = selectors.article_get_readable(user=user, article_id=article_id)
    return _articles_out(user, [article])[0]


def _configuration_out(configuration: CustomerConfiguration) -> ConfigurationOut:
    history = selectors.configuration_versions(configuration=configuration)
    written = configuration.version > 0
    return ConfigurationOut(
        organisation_id=configuration.organisation_id,
        environment=configuration.environment,
        installed_versions=configuration.installed_versions,
        integrations=configuration.integrations,
        remote_access=configuration.remote_access,
        contacts=configuration.contacts,
        notes=configuration.notes,
        version=configuration.version,
        updated_by_id=configuration.updated_by_id,
        updated_at=configuration.updated_at if written else None,
        history=[
            ConfigurationVersionOut(
                number=version.number,
                edited_by_id=version.edited_by_id,
                edited_at=version.edited_at,
                data=version.data,
            )
            for version in history[:CONFIGURATION_HISTORY]
        ],
    )


# --- articles ----------------------------------------------------------------------------


@router.get("/kb/articles", response=ArticlePage)
def list_articles(
    request: HttpRequest,
    status: str = "",
    audience: str = "",
    language: str = "",
    category_id: int | None = None,
    stale: bool = False,
    cursor: str | None = None,
    limit: int = 50,
) -> ArticlePage:
    """The articles the caller may read, most recently changed first (`stale=true`: the
    published ones past their review date or flagged for review)."""
    user = actor(request)
    articles = selectors.article_list(
        user=user,
        status=status[:20],
        audience=audience[:20],
        language=language[:5],
        category_id=category_id,
        stale=stale,
    )

    def keys(_bound: Mapping[str, Any]) -> QuerySet[Article, dict[str, Any]]:
        return articles.values(*KEY_FIELDS)

    rows, next_cursor = keyset_page(keys, keys=KEYS, cursor=cursor, limit=limit)
    ids = [row["id"] for row in rows]
    # The ids are of the caller's readable articles (the selector above chose them).
    page = Article.objects.filter(pk__in=ids).prefetch_related("tags", "services").in_bulk()
    return ArticlePage(
        items=_articles_out(user, [page[pk] for pk in ids if pk in page]),
        next_cursor=next_cursor,
    )


@router.post("/kb/articles", response={201: ArticleOut})
def create_article(request: HttpRequest, payload: ArticleIn) -> Status[ArticleOut]:
    """Write an article (the support team); `translation_of_id` makes it a translation of
    another, one per language."""
    user = writer(request)
    data = payload.model_dump()
    data["tags"] = tuple(data["tags"])
    data["service_ids"] = tuple(data["service_ids"])
    article = services.article_create(actor=user, draft=services.ArticleDraft(**data))
    return Status(201, _article_out(user, article.pk))


@router.get("/kb/articles/{article_id}", response=ArticleOut)
def get_article(request: HttpRequest, article_id: int) -> ArticleOut:
    """One article; each reading is counted."""
    user = actor(request)
    article = selectors.article_get_readable(user=user, article_id=article_id)
    services.article_viewed(article=article)
    article.views += 1  # as the counter now stands, this reading included
    return _articles_out(user, [article])[0]


@router.patch("/kb/articles/{article_id}", response=ArticleOut)
def update_article(request: HttpRequest, article_id: int, payload: ArticlePatch) -> ArticleOut:
    """Change an article (the support team). `version` is the version the change is based
    on: if the article was saved since, the change is refused (409) and nothing is lost."""
    user = actor(request)
    selectors.article_get_readable(user=user, article_id=article_id)
    writer(request)
    changes = payload.model_dump(exclude_unset=True, exclude={"version"})
    services.article_update(
        actor=user, article_id=article_id, expected_version=payload.version, changes=changes
    )
    return _article_out(user, article_id)


@router.get("/kb/articles/{article_id}/versions", response=list[VersionOut])
def article_versions(request: HttpRequest, article_id: int) -> QuerySet[ArticleVersion]:
    """Every save of an article, newest first (the support team: a customer who may read
    the article is refused, 403, since its drafts and audiences are the team's)."""
    user = actor(request)
    article = selectors.article_get_readable(user=user, article_id=article_id)
    require_vendor(user)
    return selectors.article_versions(article=article)


@router.post("/kb/articles/{article_id}/vote", response=VotesOut)
def vote_article(request: HttpRequest, article_id: int, payload: VoteIn) -> Article:
    """The caller found the article helpful or not (one vote each; voting again changes
    it)."""
    user = actor(request)
    selectors.article_get_readable(user=user, article_id=article_id)
    writer(request)
    return services.article_vote(
        user=user, session_key="", article_id=article_id, helpful=payload.helpful
    )


@router.get("/kb/search", response=HitList)
def search_articles(request: HttpRequest, filters: Query[SearchQuery]) -> HitList:
    """The readable articles holding every word of `q`, best first."""
    readable = selectors.article_readable(user=actor(request))
    return _hits(search.search(readable, filters.q, limit=filters.limit))


@router.get("/kb/suggest", response=HitList)
def suggest_articles(request: HttpRequest, filters: Query[SuggestQuery]) -> HitList:
    """The readable articles that best answer a draft (`text`: any of its words)."""
    readable = selectors.article_readable(user=actor(request))
    return _hits(search.suggest(readable, filters.text, limit=filters.limit))


def _hits(hits: list[search.Hit]) -> HitList:
    return HitList(
        items=[
            HitOut(
                id=hit.article.pk,
                title=hit.article.title,
                snippet=hit.snippet,
                language=hit.article.language,
                audience=hit.article.audience,
            )
            for hit in hits
        ]
    )


# --- configurations ----------------------------------------------------------------------


@router.get("/organisations/{organisation_id}/configuration", response=ConfigurationOut)
def get_configuration(request: HttpRequest, organisation_id: int) -> ConfigurationOut:
    """A customer organisation's set-up and its history (the support team, and the
    organisation's own specialists)."""
    configuration = selectors.configuration_get(
        user=actor(request), organisation_id=organisation_id
    )
    return _configuration_out(configuration)


@router.put("/organisations/{organisation_id}/configuration", response=ConfigurationOut)
def put_configuration(
    request: HttpRequest, organisation_id: int, payload: ConfigurationIn
) -> ConfigurationOut:
    """Write a customer organisation's set-up (the support team; the fields left out stay
    as they are). `version` is the one the change is based on: a save made since refuses
    it (409)."""
    user = actor(request)
    selectors.configuration_get(user=user, organisation_id=organisation_id)
    writer(request)
    data = payload.model_dump(exclude_unset=True, exclude={"version"})
    configuration = services.configuration_save(
        actor=user,
        organisation_id=organisation_id,
        expected_version=payload.version,
        data={name: value for name, value in data.items() if value is not None},
    )
    return _configuration_out(configuration)
