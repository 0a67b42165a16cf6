"""Changing the knowledge base: articles (every save a version, no edit lost to another),
what readers make of them (views, votes, deflections), their ties to tickets and problems,
and each customer organisation's configuration with its history.

Only the support team writes articles and configurations; customers read, vote and
deflect, always through `selectors.article_readable`."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.text import slugify
from django.utils.translation import gettext as _

from sladesk.accounts.choices import OrganisationKind
from sladesk.accounts.models import Organisation, Service, User
from sladesk.core import clock
from sladesk.core.errors import Conflict, DomainError, NotFound
from sladesk.knowledge import markdown, search, selectors
from sladesk.knowledge.choices import (
    ArticleLanguage,
    ArticleStatus,
    Audience,
    ReviewReason,
    TicketArticleKind,
)
from sladesk.knowledge.models import (
    CONFIGURATION_FIELDS,
    Article,
    ArticleAttachment,
    ArticleVersion,
    ArticleVote,
    Category,
    ConfigurationVersion,
    CustomerConfiguration,
    Deflection,
    TicketArticle,
)
from sladesk.problems.models import Problem
from sladesk.tickets.choices import CommentKind, EventKind
from sladesk.tickets.models import Tag, Ticket
from sladesk.tickets.services import history
from sladesk.tickets.services.actions import ticket_resolve
from sladesk.tickets.services.common import finish, lock_visible, require_vendor
from sladesk.tickets.services.conversation import (
    Upload,
    require_within_limit,
    safe_filename,
    sniff_content_type,
)

BODY_LIMIT = 100_000  # characters of Markdown: a long manual, not a dump
TITLE_LIMIT = 200
CONFIGURATION_LIMIT = 20_000  # characters per field of a configuration
DEFLECTION_TEXT_LIMIT = 10_000
# What `article_update` may change (the rest is the desk's: counters, versions, dates).
EDITABLE = (
    "title",
    "body",
    "language",
    "audience",
    "organisation_id",
    "status",
    "category_id",
    "owner_id",
    "review_on",
    "problem_id",
    "tags",
    "service_ids",
)
RELATED = ("tags", "service_ids")  # kept in their own tables
VERSIONED = ("title", "body", "status", "audience")


@dataclass(frozen=True)
class ArticleDraft:
    title: str
    body: str = ""
    language: str = ArticleLanguage.EN
    audience: str = Audience.INTERNAL
    organisation_id: int | None = None
    status: str = ArticleStatus.DRAFT
    category_id: int | None = None
    owner_id: int | None = None
    review_on: dt.date | None = None
    problem_id: int | None = None
    translation_of_id: int | None = None
    tags: tuple[str, ...] = ()
    service_ids: tuple[int, ...] = field(default=())


def _choice(value: Any, choices: Any, field_name: str, message: str) -> str:
    if value not in choices.values:
        raise DomainError(message, field=field_name)
    return str(value)


def _checked(state: dict[str, Any]) -> dict[str, Any]:
    """The article's intended state, each rule checked (the first broken one refuses it)."""
    state["title"] = str(state.get("title") or "").strip()
    if not state["title"]:
        raise DomainError(_("A title is required."), field="title")
    if len(state["title"]) > TITLE_LIMIT:
        raise DomainError(
            _("The title is longer than %(limit)d characters.") % {"limit": TITLE_LIMIT},
            field="title",
        )
    state["body"] = str(state.get("body") or "")
    if len(state["body"]) > BODY_LIMIT:
        raise DomainError(
            _("The article is longer than %(limit)d characters.") % {"limit": BODY_LIMIT},
            field="body",
        )
    _choice(state["language"], ArticleLanguage, "language", _("Unknown language."))
    _choice(state["status"], ArticleStatus, "status", _("Unknown status."))
    _choice(state["audience"], Audience, "audience", _("Unknown audience."))
    if state["audience"] == Audience.ORGANISATION:
        organisation_id = state.get("organisation_id")
        if (
            organisation_id is None
            or not Organisation.objects.filter(
                pk=organisation_id, kind=OrganisationKind.CUSTOMER
            ).exists()
        ):
            raise DomainError(
                _("An article for one organisation needs that customer organisation."),
                field="organisation",
            )
    else:
        state["organisation_id"] = None  # only an organisation's article has one
    references = (
        ("category_id", Category.objects.all(), _("Unknown category."), "category"),
        ("problem_id", Problem.objects.all(), _("Unknown problem."), "problem"),
    )
    for key, queryset, message, name in references:
        if state.get(key) is not None and not queryset.filter(pk=state[key]).exists():
            raise DomainError(message, field=name)
    owner_id = state.get("owner_id")
    if owner_id is not None:
        owner = User.objects.filter(pk=owner_id, is_active=True).first()
        if owner is None or not owner.is_vendor_staff:
            raise DomainError(_("The owner must be of the support team."), field="owner")
    service_ids = sorted(set(state.get("service_ids") or ()))
    if len(service_ids) != Service.objects.filter(pk__in=service_ids).count():
        raise DomainError(_("Unknown service."), field="services")
    state["service_ids"] = service_ids
    state["tags"] = sorted({slugify(tag, allow_unicode=True)[:50] for tag in state["tags"]} - {""})
    return state


def _version(article: Article, actor: User) -> None:
    ArticleVersion.objects.create(
        article=article,
        number=article.version,
        edited_by=actor,
        edited_at=article.updated_at,
        **{name: getattr(article, name) for name in VERSIONED},
    )


def _save(article: Article, actor: User, state: dict[str, Any], *, created: bool) -> None:
    """Write the checked `state`: the article, its tags and services, its version, its
    search entry and its webhooks, in the caller's transaction."""
    from sladesk.webhooks.services import webhooks_for_article

    now = clock.now()
    was_published = article.published_at is not None
    for name in EDITABLE:
        if name not in RELATED:
            setattr(article, name, state[name])
    article.body_html = markdown.render(article.body)
    article.updated_at = now
    if article.status == ArticleStatus.PUBLISHED and not was_published:
        article.published_at = now
    article.save()
    Tag.objects.bulk_create([Tag(name=name) for name in state["tags"]], ignore_conflicts=True)
    article.tags.set(Tag.objects.filter(name__in=state["tags"]))
    article.services.set(state["service_ids"])
    _version(article, actor)
    search.index(article)
    webhooks_for_article(article, created=created)


def article_create(*, actor: User, draft: ArticleDraft) -> Article:
    """A new article (or a translation of one: `translation_of_id`), at version 1."""
    require_vendor(actor)
    state = _checked(asdict(draft))
    original_id = state.pop("translation_of_id")
    original = None
    if original_id is not None:
        original = Article.objects.filter(pk=original_id).first()
        if original is None:
            raise DomainError(_("Unknown article."), field="translation_of")
        original = original.translation_of or original  # translations hang off the original
        if (
            original.language == state["language"]
            or original.translations.filter(language=state["language"]).exists()
        ):
            raise DomainError(_("The article has this language already."), field="language")
    with transaction.atomic():
        article = Article(
            translation_of=original, created_by=actor, owner_id=state["owner_id"] or actor.pk
        )
        state["owner_id"] = article.owner_id
        _save(article, actor, state, created=True)
    return article


def _state_of(article: Article) -> dict[str, Any]:
    state = {
        name: getattr(article, name) for name in EDITABLE if name not in ("tags", "service_ids")
    }
    state["tags"] = [tag.name for tag in article.tags.all()]
    state["service_ids"] = [service.pk for service in article.services.all()]
    return state


def article_update(
    *, actor: User, article_id: int, expected_version: int, changes: dict[str, Any]
) -> Article:
    """Change an article that is still at `expected_version`; a save based on an older
    version is refused (Conflict), so an edit made meanwhile is never lost."""
    require_vendor(actor)
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        fields = ", ".join(sorted(unknown))
        raise DomainError(_("These fields cannot be changed: %(fields)s") % {"fields": fields})
    with transaction.atomic():
        article = Article.objects.select_for_update().filter(pk=article_id).first()
        if article is None:
            raise NotFound(_("No such article."))
        if article.version != expected_version:
            raise Conflict(
                _(
                    "The article was changed meanwhile (version %(version)d by %(editor)s): "
                    "read that version and make your change again."
                )
                % {"version": article.version, "editor": _editor(article)}
            )
        state = _state_of(article)
        if "language" in changes and changes["language"] != article.language:
            _language_free(article, changes["language"])
        before = dict(state)
        state.update(changes)
        state = _checked(state)
        if state == {
            **before,
            "tags": sorted(before["tags"]),
            "service_ids": sorted(before["service_ids"]),
        }:
            return article  # nothing changed: no new version
        article.version += 1
        _save(article, actor, state, created=False)
    return article


def _editor(article: Article) -> str:
    version = article.versions.select_related("edited_by").order_by("-number").first()
    if version is None or version.edited_by is None:
        return _("someone")
    return version.edited_by.full_name or version.edited_by.email


def _language_free(article: Article, language: str) -> None:
    original = article.original_id
    if (
        (Article.objects.filter(pk=original) | Article.objects.filter(translation_of_id=original))
        .filter(language=language)
        .exclude(pk=article.pk)
        .exists()
    ):
        raise DomainError(_("The article has this language already."), field="language")


def article_attach(*, actor: User, article_id: int, upload: Upload) -> ArticleAttachment:
    """Keep an image or a file of an article (Markdown then links to its address). Its type
    is what the bytes are, never what the name says; the attachment limit applies."""
    require_vendor(actor)
    require_within_limit(upload, field="file")
    if not upload.content:
        raise DomainError(_("The file is empty."), field="file")
    article = selectors.article_get_readable(user=actor, article_id=article_id)
    digest = hashlib.sha256(upload.content).hexdigest()
    attachment = ArticleAttachment(
        article=article,
        filename=safe_filename(upload.filename),
        content_type=sniff_content_type(upload.content),
        size=len(upload.content),
        sha256=digest,
        uploaded_by=actor,
        created_at=clock.now(),
    )
    attachment.file.save(digest, ContentFile(upload.content), save=False)
    attachment.save()
    return attachment


# --- readers -----------------------------------------------------------------------------


def article_viewed(*, article: Article) -> None:
    """Count a reading of an article the reader could read (the caller read it through
    `selectors.article_get_readable`)."""
    Article.objects.filter(pk=article.pk).update(views=F("views") + 1)


def article_vote(*, user: User | None, session_key: str, article_id: int, helpful: bool) -> Article:
    """A reader's "helpful" or "not helpful": one per person (or browser session); voting
    again changes the vote."""
    article = selectors.article_get_readable(user=user, article_id=article_id)
    signed_in = user is not None and user.is_authenticated
    if not signed_in and not session_key:
        raise DomainError(_("Voting needs cookies."))
    who: dict[str, Any] = (
        {"user": user} if signed_in else {"user": None, "session_key": session_key}
    )
    with transaction.atomic():
        vote = ArticleVote.objects.select_for_update().filter(article=article, **who).first()
        counts: dict[str, Any] = {}
        if vote is None:
            try:
                with transaction.atomic():
                    ArticleVote.objects.create(article=article, helpful=helpful, **who)
            except IntegrityError:
                return article  # the same reader's other request was first
        elif vote.helpful != helpful:
            vote.helpful = helpful
            vote.save(update_fields=["helpful"])
            counts = {
                "unhelpful_votes" if helpful else "helpful_votes": F(
                    "unhelpful_votes" if helpful else "helpful_votes"
                )
                - 1
            }
        else:
            return article
        name = "helpful_votes" if helpful else "unhelpful_votes"
        counts[name] = F(name) + 1
        Article.objects.filter(pk=article.pk).update(**counts)
    article.refresh_from_db()
    return article


def article_deflect(*, user: User, article_id: int, text: str = "") -> Deflection:
    """The customer found the answer in the article: no ticket, one deflection counted
    (with what they had written, so the desk learns how people ask)."""
    article = selectors.article_get_readable(user=user, article_id=article_id)
    with transaction.atomic():
        deflection = Deflection.objects.create(
            article=article,
            user=user,
            organisation_id=user.organisation_id if user.is_customer else None,
            text=text[:DEFLECTION_TEXT_LIMIT].replace("\x00", ""),  # PostgreSQL keeps no NUL
            created_at=clock.now(),
        )
        Article.objects.filter(pk=article.pk).update(deflections=F("deflections") + 1)
    return deflection


# --- tickets and problems ----------------------------------------------------------------


def _tie(ticket: Ticket, article: Article, actor: User, kind: str) -> TicketArticle:
    link, created = TicketArticle.objects.get_or_create(
        ticket=ticket, article=article, kind=kind, defaults={"linked_by": actor}
    )
    if created:
        history.record(
            ticket, actor, EventKind.ARTICLE_LINKED, data={"article_id": article.pk, "kind": kind}
        )
    return link


def article_link_ticket(
    *, actor: User, ticket_id: int, article_id: int, kind: str = TicketArticleKind.LINKED
) -> TicketArticle:
    """Tie an article to a ticket (an agent linked it in a reply, or it is the answer)."""
    require_vendor(actor)
    _choice(kind, TicketArticleKind, "kind", _("Unknown kind of link."))
    article = selectors.article_get_readable(user=actor, article_id=article_id)
    with transaction.atomic():
        ticket = lock_visible(actor=actor, ticket_id=ticket_id)
        link = _tie(ticket, article, actor, kind)
        finish(ticket, actor)
    return link


def ticket_resolve_with_article(
    *, actor: User, ticket_id: int, article_id: int, resolution: str
) -> Ticket:
    """Resolve the ticket with the article as its answer (counted as a knowledge
    resolution); the resolution names the article for the customer."""
    article = selectors.article_get_readable(user=actor, article_id=article_id)
    with transaction.atomic():
        ticket = ticket_resolve(actor=actor, ticket_id=ticket_id, resolution=resolution)
        _tie(ticket, article, actor, TicketArticleKind.RESOLVED_WITH)
    return ticket


def article_from_ticket(*, actor: User, ticket_id: int) -> Article:
    """A draft article from a resolved ticket: its question and the desk's answer, for the
    support team to edit and publish; tied to the ticket it came from."""
    require_vendor(actor)
    with transaction.atomic():
        ticket = lock_visible(actor=actor, ticket_id=ticket_id)
        answer = (
            ticket.comments.filter(
                kind=CommentKind.PUBLIC, author__organisation__kind=OrganisationKind.VENDOR
            )
            .order_by("-created_at", "-id")
            .values_list("body", flat=True)
            .first()
        )
        body = "\n\n".join(
            part
            for part in (
                ticket.description.strip(),
                f"## {_('Solution')}\n\n{answer}" if answer else "",
            )
            if part
        )
        article = article_create(
            actor=actor,
            draft=ArticleDraft(
                title=ticket.title[:TITLE_LIMIT],
                body=body[:BODY_LIMIT],
                language=_language_of(actor),
                service_ids=(ticket.service_id,) if ticket.service_id else (),
            ),
        )
        _tie(ticket, article, actor, TicketArticleKind.SOURCE)
        finish(ticket, actor)
    return article


def article_from_problem(*, actor: User, problem_id: int) -> Article:
    """A draft article from a problem's known error: the symptom, the cause and the
    workaround. It is flagged for review when the problem's fix lands."""
    require_vendor(actor)
    problem = Problem.objects.filter(pk=problem_id).first()
    if problem is None:
        raise NotFound(_("No such problem."))
    sections = (
        ("", problem.description),
        (_("Cause"), problem.root_cause),
        (_("Workaround"), problem.workaround),
    )
    body = "\n\n".join(
        f"## {heading}\n\n{text.strip()}" if heading else text.strip()
        for heading, text in sections
        if text.strip()
    )
    return article_create(
        actor=actor,
        draft=ArticleDraft(
            title=problem.title[:TITLE_LIMIT],
            body=body[:BODY_LIMIT],
            language=_language_of(actor),
            problem_id=problem.pk,
            service_ids=(problem.service_id,) if problem.service_id else (),
        ),
    )


def articles_flag_for_review(*, problem: Problem) -> int:
    """The problem's fix landed: its articles (a workaround, most likely) must be read
    again. Called by problem management in the fix's transaction; the count flagged."""
    return Article.objects.filter(problem=problem).update(review_reason=ReviewReason.PROBLEM_FIXED)


def article_reviewed(*, actor: User, article_id: int, review_on: dt.date | None) -> Article:
    """The owner read the article again: the flag is cleared, the next review date set."""
    require_vendor(actor)
    with transaction.atomic():
        article = Article.objects.select_for_update().filter(pk=article_id).first()
        if article is None:
            raise NotFound(_("No such article."))
        article.review_reason = ReviewReason.NONE
        article.review_on = review_on
        article.save(update_fields=["review_reason", "review_on"])
    return article


def _language_of(actor: User) -> str:
    return actor.language if actor.language in ArticleLanguage.values else ArticleLanguage.EN


# --- configurations ----------------------------------------------------------------------


def configuration_save(
    *, actor: User, organisation_id: int, expected_version: int, data: dict[str, Any]
) -> CustomerConfiguration:
    """Write a customer organisation's configuration (the support team only); refused when
    it was changed since `expected_version` (0: never written). Every save is kept."""
    require_vendor(actor)
    unknown = set(data) - set(CONFIGURATION_FIELDS)
    if unknown:
        fields = ", ".join(sorted(unknown))
        raise DomainError(_("These fields cannot be changed: %(fields)s") % {"fields": fields})
    for name, value in data.items():
        if not isinstance(value, str):
            raise DomainError(_("Write the configuration as text."), field=name)
        if len(value) > CONFIGURATION_LIMIT:
            raise DomainError(
                _("The text is longer than %(limit)d characters.") % {"limit": CONFIGURATION_LIMIT},
                field=name,
            )
    with transaction.atomic():
        organisation = selectors.configuration_get(
            user=actor, organisation_id=organisation_id
        ).organisation
        configuration, _created = CustomerConfiguration.objects.get_or_create(
            organisation=organisation
        )
        configuration = CustomerConfiguration.objects.select_for_update().get(pk=configuration.pk)
        if configuration.version != expected_version:
            raise Conflict(
                _(
                    "The configuration was changed meanwhile (version %(version)d): read it and "
                    "make your change again."
                )
                % {"version": configuration.version}
            )
        for name, value in data.items():
            setattr(configuration, name, value.strip())
        configuration.version += 1
        configuration.updated_by = actor
        configuration.updated_at = clock.now()
        configuration.save()
        ConfigurationVersion.objects.create(
            configuration=configuration,
            number=configuration.version,
            data={name: getattr(configuration, name) for name in CONFIGURATION_FIELDS},
            edited_by=actor,
            edited_at=configuration.updated_at,
        )
    return configuration


def tags_of(names: Iterable[str]) -> tuple[str, ...]:
    """Tags as a form or a client writes them (comma or space separated)."""
    return tuple(name for chunk in names for name in chunk.replace(",", " ").split() if name)
