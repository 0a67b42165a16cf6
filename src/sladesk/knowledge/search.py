"""Finding articles: the index every save writes, search (all the words) and suggestions
(any of the words, for a customer's draft or a ticket), ranked with a highlighted snippet.

PostgreSQL: a weighted tsvector in the `russian` (a form of a word finds the others; Latin
words go through the English stemmer), `english` and unaccented `simple` configurations
(Czech without its diacritics), plus trigram similarity of the title for typos and numbers.
SQLite: an FTS5 table folding case (Cyrillic too) and diacritics, each word a prefix.

Who may read what is never decided here: every query runs inside the `readable` queryset
the caller passes (`selectors.article_readable`)."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import QuerySet

from sladesk.knowledge import markdown
from sladesk.knowledge.models import Article, ArticleSearch
from sladesk.knowledge.stopwords import STOP_WORDS

FTS_TABLE = "knowledge_article_fts"
# Private markers around the matched words; the snippet is escaped, then they become <mark>.
START, STOP = "\x02", "\x03"
MAX_WORDS = 24  # of a query or a draft: a pasted log must not become a huge query
MIN_SUGGEST_LENGTH = 3  # shorter words say too little to suggest an article
TRIGRAM_THRESHOLD = 0.45
WORD = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True)
class Hit:
    article: Article
    snippet: str  # safe HTML: escaped text with <mark> around the words found


def words(text: str, *, minimum: int = 1, stop: frozenset[str] = frozenset()) -> list[str]:
    """The distinct words of `text` (at most MAX_WORDS), in their order, none of `stop`."""
    seen: dict[str, None] = {}
    for word in WORD.findall(text.lower()):
        if len(word) >= minimum and word.replace("_", "") and word not in stop:
            seen.setdefault(word, None)
    return list(seen)[:MAX_WORDS]


def _marked(snippet: str) -> str:
    return html.escape(snippet).replace(START, "<mark>").replace(STOP, "</mark>")


# --- the index ---------------------------------------------------------------------------


def index(article: Article) -> None:
    """Write the article's entry (in the transaction of its save)."""
    text = markdown.plain(article.body)
    ArticleSearch.objects.update_or_create(
        article=article, defaults={"title": article.title, "text": text}
    )
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"UPDATE knowledge_articlesearch SET document = {_PG_DOCUMENT} "  # noqa: S608
                "WHERE article_id = %s",
                [article.pk],
            )
        else:
            cursor.execute(f"DELETE FROM {FTS_TABLE} WHERE rowid = %s", [article.pk])  # noqa: S608
            cursor.execute(
                f"INSERT INTO {FTS_TABLE} (rowid, title, body) VALUES (%s, %s, %s)",  # noqa: S608
                [article.pk, article.title, text],
            )


def reindex_all() -> int:
    """Rebuild every entry (after a change of the search configuration); the count."""
    count = 0
    for article in Article.objects.iterator():
        index(article)
        count += 1
    return count


# --- PostgreSQL --------------------------------------------------------------------------

_PG_DOCUMENT = (
    "setweight(to_tsvector('russian', title), 'A')"
    " || setweight(to_tsvector('english', title), 'A')"
    " || setweight(to_tsvector('simple', unaccent(title)), 'A')"
    " || setweight(to_tsvector('russian', text), 'B')"
    " || setweight(to_tsvector('english', text), 'B')"
    " || setweight(to_tsvector('simple', unaccent(text)), 'B')"
)


def _pg_query(joiner: str) -> str:
    """A tsquery over the three configurations from three parameters (the same words):
    all the words (`&`) for search, any of them (`|`) for suggestions."""
    if joiner == "|":
        # Each lexeme once, and none of the stop words the language configurations drop
        # ("the", "our", "и"), which `simple` would keep: a draft's many words would
        # otherwise match nearly every article, and every match is ranked.
        return (
            "SELECT string_agg(quote_literal(lexeme), ' | ')::tsquery FROM ("
            " SELECT unnest(tsvector_to_array("
            "to_tsvector('russian', %s) || to_tsvector('english', %s))) AS lexeme"
            " UNION SELECT lexeme FROM unnest(tsvector_to_array("
            "to_tsvector('simple', unaccent(%s)))) AS lexeme"
            " WHERE to_tsvector('russian', lexeme) <> ''::tsvector"
            ") AS lexemes"
        )
    return (
        "plainto_tsquery('russian', %s) || plainto_tsquery('english', %s)"
        " || plainto_tsquery('simple', unaccent(%s))"
    )


def _pg_hits(readable: QuerySet[Article], text: str, joiner: str, limit: int) -> list[Hit]:
    # No ordering: the selector's (the newest first) would sort every readable article.
    readable_sql, readable_params = readable.order_by().values("pk").query.sql_with_params()
    query, query_params = _pg_query(joiner), [text] * 3
    if joiner == "&":
        # A search also takes a title close to the words (a typo, part of a number): trigram
        # word similarity, served by the title's trigram index. Cover density rewards the
        # words standing together.
        rank = "ts_rank_cd(s.document, q.query, 32) + word_similarity(%s, s.title)"
        rank_params, typo, typo_params = [text], "OR %s <%% s.title", [text]
    else:
        # Any of many words: every cover is one word, so cover density would only count
        # them, at several times the cost; and a draft's trigrams against every matching
        # title say little (the title already weighs most in the document).
        rank, rank_params, typo, typo_params = "ts_rank(s.document, q.query, 32)", [], "", []
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL pg_trgm.word_similarity_threshold = {TRIGRAM_THRESHOLD}")
        cursor.execute(  # constants and the selector's SQL; the words are parameters
            f"""
            WITH q AS (SELECT ({query}) AS query)
            SELECT s.article_id, {rank} AS rank
            FROM knowledge_articlesearch s, q
            WHERE s.article_id IN ({readable_sql}) AND (s.document @@ q.query {typo})
            ORDER BY rank DESC, s.article_id DESC
            LIMIT %s
            """,  # noqa: S608
            [*query_params, *rank_params, *readable_params, *typo_params, limit],
        )
        ids = [row[0] for row in cursor.fetchall()]
        if not ids:
            return []
        # Snippets of the page's articles only: ts_headline reads the whole text.
        cursor.execute(  # constants and the selector's SQL; the words are parameters
            f"""
            WITH q AS (SELECT ({query}) AS query)
            SELECT s.article_id, ts_headline('russian', s.text, q.query, %s)
            FROM knowledge_articlesearch s, q WHERE s.article_id = ANY(%s)
            """,  # noqa: S608
            [*query_params, _PG_HEADLINE, ids],
        )
        snippets = dict(cursor.fetchall())
    return _hits(ids, snippets)


_PG_HEADLINE = (
    f"StartSel={START}, StopSel={STOP}, MaxWords=30, MinWords=12, MaxFragments=2,"
    ' FragmentDelimiter=" … "'
)


# --- SQLite ------------------------------------------------------------------------------


def _fts_query(terms: list[str], joiner: str) -> str:
    # Each word quoted (no FTS5 syntax from the searcher) and a prefix: "принтер" finds
    # "принтеры" as well.
    return f" {'AND' if joiner == '&' else 'OR'} ".join(f'"{term}"*' for term in terms)


def _sqlite_hits(
    readable: QuerySet[Article], terms: list[str], joiner: str, limit: int
) -> list[Hit]:
    readable_sql, readable_params = readable.order_by().values("pk").query.sql_with_params()
    sql = f"""
        SELECT rowid, snippet({FTS_TABLE}, 1, %s, %s, ' … ', 16)
        FROM {FTS_TABLE}
        WHERE {FTS_TABLE} MATCH %s AND rowid IN ({readable_sql})
        ORDER BY bm25({FTS_TABLE}, 10.0, 1.0), rowid DESC
        LIMIT %s
    """  # noqa: S608  # constants and the selector's SQL; the words are parameters
    with connection.cursor() as cursor:
        cursor.execute(sql, [START, STOP, _fts_query(terms, joiner), *readable_params, limit])
        rows = cursor.fetchall()
    return _hits([row[0] for row in rows], dict(rows))


# --- both --------------------------------------------------------------------------------


def _hits(ids: list[int], snippets: dict[int, str]) -> list[Hit]:
    articles = Article.objects.in_bulk(ids)
    return [
        Hit(article=articles[pk], snippet=_marked(snippets.get(pk) or ""))
        for pk in ids
        if pk in articles
    ]


def _find(readable: QuerySet[Article], terms: list[str], joiner: str, limit: int) -> list[Hit]:
    if not terms:
        return []
    if connection.vendor == "postgresql":
        return _pg_hits(readable, " ".join(terms), joiner, limit)
    return _sqlite_hits(readable, terms, joiner, limit)


def search(readable: QuerySet[Article], query: str, *, limit: int = 20) -> list[Hit]:
    """The articles of `readable` holding every word of `query` (in any of its forms),
    best first."""
    return _find(readable, words(query), "&", limit)


def suggest(readable: QuerySet[Article], text: str, *, limit: int = 5) -> list[Hit]:
    """The articles of `readable` that best match a draft (any of its words), best first."""
    return _find(readable, words(text, minimum=MIN_SUGGEST_LENGTH, stop=STOP_WORDS), "|", limit)
