"""The knowledge base's services on the database: versions and conflicts, translations,
review when a problem is fixed, articles from tickets and problems, resolutions with an
article, votes and deflections."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from sladesk.accounts.services import contract_end
from sladesk.core.errors import Conflict, DomainError, NotFound, PermissionDenied
from sladesk.knowledge import selectors, services
from sladesk.knowledge.choices import ReviewReason, TicketArticleKind
from sladesk.knowledge.diffing import Line, line_diff
from sladesk.knowledge.models import Article, ArticleVersion, Deflection, TicketArticle
from sladesk.problems.services import ProblemRegistration, problem_act, problem_register
from sladesk.tickets import services as ticket_services
from sladesk.tickets.choices import EventKind, TicketStatus
from sladesk.tickets.selectors import event_list_visible
from tests.conftest import World


def write(world: World, title: str = "Printer offline", **fields: object) -> Article:
    draft = services.ArticleDraft(title=title, **fields)  # type: ignore[arg-type]
    return services.article_create(actor=world.agent1, draft=draft)


def update(world: World, article: Article, version: int, **changes: object) -> Article:
    return services.article_update(
        actor=world.agent1, article_id=article.pk, expected_version=version, changes=changes
    )


def test_every_save_is_a_version_whose_difference_can_be_read(world: World) -> None:
    article = write(world, body="Step one.\nStep two.\nStep three.")
    update(world, article, 1, body="Step one.\nStep 2, corrected.\nStep three.")
    update(world, article, 2, status="published", audience="customers")
    versions = list(ArticleVersion.objects.filter(article=article).order_by("number"))
    assert [(v.number, v.status, v.audience) for v in versions] == [
        (1, "draft", "internal"),
        (2, "draft", "internal"),
        (3, "published", "customers"),
    ]
    assert {v.edited_by_id for v in versions} == {world.agent1.pk}
    assert line_diff(versions[0].body, versions[1].body) == [
        Line("same", "Step one."),
        Line("removed", "Step two."),
        Line("added", "Step 2, corrected."),
        Line("same", "Step three."),
    ]
    assert [v.number for v in selectors.article_versions(article=article)] == [3, 2, 1]
    # A save that changes nothing is no new version.
    unchanged = update(world, article, 3, body=versions[2].body, tags=[])
    assert unchanged.version == 3
    assert ArticleVersion.objects.filter(article=article).count() == 3


def test_an_edit_based_on_an_older_version_is_refused(world: World) -> None:
    article = write(world, body="Original.")
    update(world, article, 1, body="The first editor's text.")
    with pytest.raises(Conflict, match="version 2"):
        update(world, article, 1, body="The second editor's text.")
    stored = Article.objects.get(pk=article.pk)
    assert (stored.version, stored.body) == (2, "The first editor's text.")
    assert ArticleVersion.objects.filter(article=article).count() == 2


def test_only_the_support_team_writes_and_only_editable_fields(world: World) -> None:
    article = write(world)
    with pytest.raises(PermissionDenied):
        services.article_create(
            actor=world.alpha.specialist, draft=services.ArticleDraft(title="Mine")
        )
    with pytest.raises(PermissionDenied):
        services.article_update(
            actor=world.alpha.specialist,
            article_id=article.pk,
            expected_version=1,
            changes={"title": "x"},
        )
    with pytest.raises(DomainError, match="views"):
        update(world, article, 1, views=1000)
    with pytest.raises(NotFound):
        services.article_update(
            actor=world.agent1, article_id=999_999, expected_version=1, changes={}
        )


def test_a_translation_is_one_per_language_of_the_original(world: World) -> None:
    original = write(world, "Printer offline")
    russian = write(world, "Принтер", language="ru", translation_of_id=original.pk)
    czech = write(world, "Tiskárna", language="cs", translation_of_id=russian.pk)
    assert czech.translation_of_id == original.pk  # translations hang off the original
    assert {czech.original_id, russian.original_id, original.original_id} == {original.pk}
    for language, of in (("ru", original.pk), ("en", russian.pk), ("cs", czech.pk)):
        with pytest.raises(DomainError, match="this language already"):
            write(world, "Again", language=language, translation_of_id=of)
    with pytest.raises(DomainError, match="this language already"):
        update(world, czech, 1, language="ru")
    with pytest.raises(DomainError):
        write(world, "Of nothing", language="ru", translation_of_id=999_999)
    translations = selectors.article_translations(user=world.agent1, article=russian)
    assert [article.language for article in translations] == ["cs", "en"]


def test_a_fixed_problem_flags_its_articles_for_review(world: World) -> None:
    ticket = world.ticket(world.alpha, title="Invoices are blank")
    problem = problem_register(
        actor=world.agent1, data=ProblemRegistration(title="Blank invoices"), ticket_ids=[ticket.pk]
    )
    workaround = write(world, "Blank invoices: print twice", problem_id=problem.pk)
    services.article_update(
        actor=world.agent1,
        article_id=workaround.pk,
        expected_version=1,
        changes={"status": "published", "audience": "customers"},
    )
    unrelated = write(world, "Unrelated", status="published", audience="customers")
    published = selectors.article_readable(user=world.agent1)
    assert not selectors.articles_stale(published).exists()

    problem_act(actor=world.agent1, problem_id=problem.pk, action="fix", text="Release 5.1")

    workaround.refresh_from_db()
    assert workaround.review_reason == ReviewReason.PROBLEM_FIXED
    assert list(selectors.articles_stale(published)) == [workaround]
    assert [a.pk for a in selectors.article_list(user=world.agent1, stale=True)] == [workaround.pk]
    unrelated.refresh_from_db()
    assert unrelated.review_reason == ""

    services.article_reviewed(
        actor=world.agent1, article_id=workaround.pk, review_on=dt.date(2099, 1, 1)
    )
    assert not selectors.articles_stale(published).exists()


def test_an_article_past_its_review_date_is_stale(world: World) -> None:
    with time_machine.travel(dt.datetime(2026, 3, 1, 9, tzinfo=dt.UTC), tick=False):
        article = write(world, status="published", review_on=dt.date(2026, 3, 31))
        write(world, "Draft", review_on=dt.date(2026, 3, 2))  # a draft is not stale
        assert not selectors.articles_stale(Article.objects.all()).exists()
    with time_machine.travel(dt.datetime(2026, 4, 1, 9, tzinfo=dt.UTC), tick=False):
        assert list(selectors.articles_stale(Article.objects.all())) == [article]


def test_an_article_from_a_ticket_keeps_its_question_and_answer(world: World) -> None:
    ticket = world.ticket(world.alpha, title="Export to Excel fails", description="Error 42.")
    ticket_services.ticket_comment(
        actor=world.agent1, ticket_id=ticket.pk, body="Install update 7.", internal=False
    )
    ticket_services.ticket_comment(
        actor=world.agent1, ticket_id=ticket.pk, body="Internal musing.", internal=True
    )
    article = services.article_from_ticket(actor=world.agent1, ticket_id=ticket.pk)
    assert (article.title, article.status, article.audience) == (
        "Export to Excel fails",
        "draft",
        "internal",
    )
    assert "Error 42." in article.body
    assert "Install update 7." in article.body
    assert "Internal musing." not in article.body
    assert list(article.services.values_list("pk", flat=True)) == [world.alpha.service.pk]
    link = TicketArticle.objects.get(article=article)
    assert (link.ticket_id, link.kind) == (ticket.pk, TicketArticleKind.SOURCE)
    assert ticket.events.filter(kind=EventKind.ARTICLE_LINKED).count() == 1
    with pytest.raises(PermissionDenied):
        services.article_from_ticket(actor=world.alpha.user, ticket_id=ticket.pk)


def test_an_article_from_a_problem_holds_its_cause_and_workaround(world: World) -> None:
    problem = problem_register(
        actor=world.agent1,
        data=ProblemRegistration(
            title="Blank invoices",
            description="Invoices print empty.",
            root_cause="A font is missing.",
        ),
        ticket_ids=[],
    )
    problem_act(
        actor=world.agent1, problem_id=problem.pk, action="known-error", text="Print as PDF."
    )
    article = services.article_from_problem(actor=world.agent1, problem_id=problem.pk)
    assert article.problem_id == problem.pk
    assert article.status == "draft"
    for text in ("Invoices print empty.", "## Cause", "A font is missing.", "Print as PDF."):
        assert text in article.body
    with pytest.raises(NotFound):
        services.article_from_problem(actor=world.agent1, problem_id=999_999)


def test_a_ticket_resolved_with_an_article_records_it_for_the_team_only(world: World) -> None:
    article = write(world, "Reset a password", status="published", audience="customers")
    ticket = world.ticket(world.alpha)
    resolved = services.ticket_resolve_with_article(
        actor=world.agent1, ticket_id=ticket.pk, article_id=article.pk, resolution="See the guide."
    )
    assert resolved.status == TicketStatus.RESOLVED
    link = TicketArticle.objects.get(ticket=ticket)
    assert (link.article_id, link.kind) == (article.pk, TicketArticleKind.RESOLVED_WITH)
    kinds = [event.kind for event in event_list_visible(user=world.agent1, ticket=ticket)]
    assert EventKind.ARTICLE_LINKED in kinds
    customer_kinds = [e.kind for e in event_list_visible(user=world.alpha.user, ticket=ticket)]
    assert EventKind.ARTICLE_LINKED not in customer_kinds
    with pytest.raises(PermissionDenied):
        services.ticket_resolve_with_article(
            actor=world.alpha.specialist,
            ticket_id=ticket.pk,
            article_id=article.pk,
            resolution="x",
        )


def test_a_vote_is_one_per_reader_and_can_change(world: World) -> None:
    article = write(world, status="published", audience="customers")

    def vote(user: object, helpful: bool, session_key: str = "") -> tuple[int, int]:
        voted = services.article_vote(
            user=user,  # type: ignore[arg-type]
            session_key=session_key,
            article_id=article.pk,
            helpful=helpful,
        )
        return voted.helpful_votes, voted.unhelpful_votes

    assert vote(world.alpha.user, True) == (1, 0)
    assert vote(world.alpha.user, True) == (1, 0)  # the same vote again counts once
    assert vote(world.alpha.user, False) == (0, 1)  # a change of mind
    assert vote(world.beta.specialist, False) == (0, 2)
    with pytest.raises(NotFound):  # signed out, a customers' article cannot be read
        vote(None, True, session_key="abc")
    public = write(world, "Public", status="published", audience="public")
    with pytest.raises(DomainError, match="cookies"):
        services.article_vote(user=None, session_key="", article_id=public.pk, helpful=True)
    services.article_vote(user=None, session_key="abc", article_id=public.pk, helpful=True)
    services.article_vote(user=None, session_key="abc", article_id=public.pk, helpful=True)
    assert Article.objects.get(pk=public.pk).helpful_votes == 1


def test_a_deflection_is_counted_with_what_the_customer_wrote(world: World) -> None:
    article = write(world, status="published", audience="customers")
    services.article_deflect(user=world.alpha.user, article_id=article.pk, text="printer dead")
    services.article_deflect(user=world.beta.user, article_id=article.pk)
    assert Article.objects.get(pk=article.pk).deflections == 2
    first = Deflection.objects.order_by("pk").first()
    assert first is not None
    assert (first.organisation_id, first.text) == (world.alpha.organisation.pk, "printer dead")
    internal = write(world, "Internal")
    with pytest.raises(NotFound):
        services.article_deflect(user=world.alpha.user, article_id=internal.pk)
    assert Article.objects.get(pk=internal.pk).deflections == 0


def test_the_audience_rule(world: World) -> None:
    articles = {
        audience: write(
            world,
            audience,
            status="published",
            audience=audience,
            organisation_id=world.alpha.organisation.pk if audience == "organisation" else None,
        ).pk
        for audience in ("public", "customers", "organisation", "internal")
    }
    articles["draft"] = write(world, "draft", audience="public").pk

    def readable(user: object) -> set[str]:
        found = selectors.article_readable(user=user).values_list("pk", flat=True)  # type: ignore[arg-type]
        return {name for name, pk in articles.items() if pk in set(found)}

    assert readable(world.agent3) == set(articles)
    assert readable(None) == {"public"}
    assert readable(world.alpha.user) == {"public", "customers", "organisation"}
    assert readable(world.beta.user) == {"public", "customers"}
    with pytest.raises(NotFound):
        selectors.article_get_readable(user=None, article_id=articles["organisation"])
    with pytest.raises(NotFound):
        selectors.article_get_readable(
            user=world.beta.specialist, article_id=articles["organisation"]
        )
    # A customer whose contract ended reads what anyone reads.
    contract_end(actor=world.admin, contract=world.alpha.contract)
    assert readable(world.alpha.user) == {"public"}
