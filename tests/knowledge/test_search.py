"""Search and suggestions on the database the suite runs on (the stemming ones on
PostgreSQL): word forms, case, diacritics, typos, and the audience around every query."""

from __future__ import annotations

import pytest
from django.db import connection

from sladesk.knowledge import search
from sladesk.knowledge.choices import ArticleStatus, Audience
from sladesk.knowledge.selectors import article_readable
from sladesk.knowledge.services import ArticleDraft, article_create, article_update
from tests.conftest import World

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="stemming is PostgreSQL's"
)


def publish(world: World, title: str, body: str = "", **fields: object) -> int:
    draft = ArticleDraft(
        title=title,
        body=body,
        status=ArticleStatus.PUBLISHED,
        audience=str(fields.pop("audience", Audience.PUBLIC)),
        **fields,  # type: ignore[arg-type]
    )
    return article_create(actor=world.agent1, draft=draft).pk


def found(world_user: object, query: str) -> list[int]:
    return [hit.article.pk for hit in search.search(article_readable(user=world_user), query)]  # type: ignore[arg-type]


def test_cyrillic_case_is_folded(world: World) -> None:
    printer = publish(world, "Принтер не печатает", "Проверьте очередь печати.", language="ru")
    publish(world, "VPN drops every hour")
    assert found(None, "принтер") == [printer]
    assert found(None, "ПРИНТЕР") == [printer]
    assert found(None, "очередь") == [printer]


def test_czech_diacritics_are_optional(world: World) -> None:
    login = publish(world, "Přihlášení do portálu selhává", "Zkontrolujte heslo.", language="cs")
    assert found(None, "prihlaseni") == [login]
    assert found(None, "přihlášení") == [login]
    assert found(None, "PORTALU") == [login]


def test_every_word_is_needed_and_the_snippet_marks_them(world: World) -> None:
    both = publish(
        world, "Mail import", "The IMAP mailbox stops importing after a password change."
    )
    publish(world, "Mail export", "Nothing about the other protocol.")
    hits = search.search(article_readable(user=None), "imap password")
    assert [hit.article.pk for hit in hits] == [both]
    assert "<mark>" in hits[0].snippet
    assert "<script" not in hits[0].snippet


def test_a_snippet_is_escaped(world: World) -> None:
    publish(world, "Escaping", "Type `<script>alert(1)</script>` into the search box.")
    [hit] = search.search(article_readable(user=None), "search box")
    assert "<script" not in hit.snippet  # escaped (SQLite) or dropped as a tag (PostgreSQL)
    assert "<mark>box</mark>" in hit.snippet


def test_search_syntax_is_only_words(world: World) -> None:
    publish(world, "Quotes", 'He said "hello" OR NOT NEAR(x) * ^ - : ( )')
    for query in ['"', "OR", "NEAR(", "*", "^-:()", "' OR 1=1 --", ""]:
        search.search(article_readable(user=None), query)  # no syntax error, no 500


def test_suggestions_take_any_word_and_rank_the_best(world: World) -> None:
    printer = publish(world, "Printer shows offline", "Restart the print spooler service.")
    spooler = publish(world, "Print spooler crashes", "Update the spooler driver.")
    publish(world, "VPN drops")
    hits = search.suggest(
        article_readable(user=None), "my printer is offline since the spooler update"
    )
    ids = [hit.article.pk for hit in hits]
    assert set(ids) == {printer, spooler}


def test_short_and_empty_drafts_suggest_nothing(world: World) -> None:
    publish(world, "To be or not to be")
    assert search.suggest(article_readable(user=None), "to be") == []
    assert search.suggest(article_readable(user=None), "  ") == []


def test_a_draft_s_little_words_suggest_nothing(world: World) -> None:
    publish(world, "The other one", "What this is about and what they would have.")
    publish(world, "Что это", "Когда это было, что они сказали и где теперь.", language="ru")
    publish(world, "Jak to", "Když není tak také ten.", language="cs")
    draft = "Hello, the thing is that when they said what it was about. Что это было? Když to"
    assert search.suggest(article_readable(user=None), draft) == []


def test_search_keeps_the_audience(world: World) -> None:
    public = publish(world, "Licence renewal public")
    customers = publish(world, "Licence renewal customers", audience=Audience.CUSTOMERS)
    internal = publish(world, "Licence renewal internal", audience=Audience.INTERNAL)
    alpha = publish(
        world,
        "Licence renewal alpha",
        audience=Audience.ORGANISATION,
        organisation_id=world.alpha.organisation.pk,
    )
    draft = article_create(
        actor=world.agent1, draft=ArticleDraft(title="Licence renewal draft", audience="public")
    ).pk
    assert set(found(None, "licence renewal")) == {public}
    assert set(found(world.alpha.user, "licence renewal")) == {public, customers, alpha}
    assert set(found(world.beta.user, "licence renewal")) == {public, customers}
    assert set(found(world.agent2, "licence renewal")) == {
        public,
        customers,
        internal,
        alpha,
        draft,
    }


def test_an_edit_is_searched_at_once(world: World) -> None:
    pk = publish(world, "Old words")
    article_update(
        actor=world.agent1, article_id=pk, expected_version=1, changes={"title": "Fresh words"}
    )
    assert found(None, "fresh") == [pk]
    assert found(None, "old") == []


@postgres_only
def test_russian_word_forms_find_each_other(world: World) -> None:
    printer = publish(world, "Принтер не печатает", "Драйверы принтеров обновлены.", language="ru")
    assert found(None, "принтеры") == [printer]
    assert found(None, "принтера") == [printer]
    assert found(None, "драйвер") == [printer]
    assert found(None, "печатать") == [printer]


@postgres_only
def test_english_word_forms_and_typos(world: World) -> None:
    backup = publish(world, "Restoring backups", "The restore job failed.")
    assert found(None, "restored backup") == [backup]
    assert found(None, "bakups") == [backup]  # a typo: trigram similarity of the title


@postgres_only
def test_russian_suggestions_from_a_draft(world: World) -> None:
    printer = publish(world, "Принтер не печатает", "Перезапустите службу печати.", language="ru")
    hits = search.suggest(article_readable(user=None), "Наши принтеры перестали печатать")
    assert [hit.article.pk for hit in hits] == [printer]


def test_the_index_can_be_rebuilt(world: World) -> None:
    from django.core.management import call_command

    from sladesk.knowledge.models import ArticleSearch

    pk = publish(world, "Rebuilt entry")
    ArticleSearch.objects.all().delete()
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {search.FTS_TABLE}")  # noqa: S608
    assert found(None, "rebuilt") == []
    call_command("knowledge_reindex")
    assert found(None, "rebuilt") == [pk]


@postgres_only
def test_a_draft_s_common_words_rank_but_its_rare_ones_find(world: World) -> None:
    servers = [
        publish(world, f"Server {n} maintenance", "The server restarts at night.") for n in range(6)
    ]
    spooler = publish(world, "Print spooler crashes", "The spooler stops on the server.")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE knowledge_articlesearch")  # "server" is now common
    readable = article_readable(user=None)
    # The rare word finds, the common one ranks: the spooler article first.
    hits = search.suggest(readable, "our server spooler crashed again")
    assert hits[0].article.pk == spooler
    assert "<mark>spooler</mark>" in hits[0].snippet.lower()
    # Common words alone still find what holds them all.
    hits = search.suggest(readable, "server restarts at night")
    assert {hit.article.pk for hit in hits} <= set(servers)
    assert len(hits) == 5
    # The snippet starts near the first word found, deep in a long text.
    long = publish(world, "Long one", "Filler words here. " * 400 + "The quasar flickers.")
    [hit] = search.search(readable, "quasar")
    assert hit.article.pk == long
    assert "<mark>quasar</mark>" in hit.snippet


@postgres_only
def test_the_caller_s_transaction_keeps_its_planner_settings(world: World) -> None:
    from django.db import transaction

    publish(world, "Printer shows offline")
    with transaction.atomic(), connection.cursor() as cursor:
        search.search(article_readable(user=None), "printer")
        search.suggest(article_readable(user=None), "the printer is offline")
        cursor.execute("SHOW enable_seqscan")
        assert cursor.fetchone()[0] == "on"
