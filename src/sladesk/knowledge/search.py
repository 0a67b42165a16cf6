"""Finding articles: the index every save writes, search (all the words) and suggestions
(any of the words, for a customer's draft or a ticket), ranked with a highlighted snippet.

PostgreSQL: a weighted tsvector in the `russian` configuration (a form of a word finds the
others; Latin words go through the English stemmer), for Czech articles also in unaccented
`simple` (Czech without its diacritics), plus trigram similarity of the title for typos and
numbers.
SQLite: an FTS5 table folding case (Cyrillic too) and diacritics, each word a prefix.

Who may read what is never decided here: every query runs inside the `readable` queryset
the caller passes (`selectors.article_readable`)."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.db.backends.utils import CursorWrapper
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
            cursor.execute(f"{PG_INDEX} AND s.article_id = %s", [article.pk])
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

HEAD_CHARS = 600  # of the text, ranked with the title: what the article is about
RERANK = 100  # the best candidates by their heads, ranked again by their whole documents


def _pg_vector(text: str) -> str:
    """The weighted tsvector of the title and `text`. The `russian` configuration stems
    Russian words and, through the English stemmer, Latin ones (and folds ё); a Czech
    article adds its words unaccented in `simple`, which has no stemmer to spoil them. One
    configuration per word keeps the documents small: each one ranked is decompressed."""
    return f"""
        setweight(to_tsvector('russian', s.title), 'A')
        || setweight(to_tsvector('russian', {text}), 'B')
        || CASE WHEN a.language = 'cs' THEN
            setweight(to_tsvector('simple', unaccent(s.title)), 'A')
            || setweight(to_tsvector('simple', unaccent({text})), 'B')
        ELSE ''::tsvector END"""


_HEAD = _pg_vector(f"left(s.text, {HEAD_CHARS})")
PG_INDEX = (
    f"UPDATE knowledge_articlesearch s SET document = {_pg_vector('s.text')}, head = {_HEAD}"  # noqa: S608
    " FROM knowledge_article a WHERE a.id = s.article_id"
)


# The lexemes of the words, each with the share of articles holding it (ANALYZE's most
# common elements; 0 for the rest): `simple` adds the unaccented Latin words (Czech
# without its diacritics; only Czech articles hold them), without the stop words `russian`
# drops.
_PG_LEXEMES = """
    SELECT words.lexeme, coalesce(max(common.share), 0),
        (plainto_tsquery('russian', %s) || plainto_tsquery('simple', unaccent(%s)))::text
    FROM (
        SELECT unnest(tsvector_to_array(to_tsvector('russian', %s))) AS lexeme
        UNION SELECT lexeme FROM unnest(tsvector_to_array(to_tsvector('simple', unaccent(%s))))
        AS lexeme WHERE lexeme !~ '[\\u0430-\\u044f\\u0451]'
            AND to_tsvector('russian', lexeme) <> ''::tsvector
    ) AS words LEFT JOIN (
        SELECT unnest(most_common_elems::text::text[]) AS lexeme,
               unnest(most_common_elem_freqs) AS share
        FROM pg_stats WHERE schemaname = current_schema()
            AND tablename = 'knowledge_articlesearch' AND attname = 'document'
    ) AS common USING (lexeme)
    GROUP BY words.lexeme ORDER BY words.lexeme"""
_ESCAPE = re.compile(r"(\W)")  # a character a regular expression must take literally
COMMON_SHARE = 0.2  # a word in more of the articles than this tells a draft's subject poorly


def _quoted(lexeme: str) -> str:
    return "'" + lexeme.replace("\\", "\\\\").replace("'", "''") + "'"


def _pg_terms(cursor: CursorWrapper, text: str, joiner: str) -> tuple[str, str, list[str]]:
    """What finds an article and what ranks it (tsqueries), and the lexemes (for snippets).

    A search finds what holds every word in a form of it. A draft finds what holds any of
    its rarer words, or all of its common ones ("server", "problem"); alone, a common word
    only weighs in the ranking, as Lucene's common terms do: matched, any of them would
    bring nearly every article to be ranked."""
    cursor.execute(_PG_LEXEMES, [text] * 4)
    rows = cursor.fetchall()
    lexemes = [lexeme for lexeme, _share, _every in rows]
    if joiner == "&":
        every = rows[0][2] if rows else ""
        return every, every, lexemes
    rare = [_quoted(lexeme) for lexeme, share, _every in rows if share <= COMMON_SHARE]
    common = [_quoted(lexeme) for lexeme, share, _every in rows if share > COMMON_SHARE]
    every_common = [f"({' & '.join(common)})"] if common else []
    return " | ".join(rare + every_common), " | ".join(rare + common), lexemes


def _pg_hits(readable: QuerySet[Article], text: str, joiner: str, limit: int) -> list[Hit]:
    # No ordering: the selector's (the newest first) would sort every readable article.
    readable_sql, readable_params = readable.order_by().values("pk").query.sql_with_params()
    with transaction.atomic(), connection.cursor() as cursor:
        # The planner prices `@@` like a comparison, but a sequential scan decompresses
        # every document: the indexes find the matches at a fraction of that. The setting
        # is put back after, for the caller's transaction may go on.
        cursor.execute(
            "SELECT current_setting('enable_seqscan'), set_config('enable_seqscan', 'off', true),"
            " set_config('pg_trgm.word_similarity_threshold', %s, true)",
            [str(TRIGRAM_THRESHOLD)],
        )
        seqscan = cursor.fetchone()[0]
        match, score, lexemes = _pg_terms(cursor, text, joiner)
        readable_query = (readable_sql, readable_params)
        ids = _pg_ranked(cursor, text, joiner, match, score, readable_query, limit)
        if joiner == "&" and len(ids) < limit:
            ids += _pg_close_titles(cursor, text, readable_query, ids, limit - len(ids))
        snippets = _pg_snippets(cursor, score, lexemes, ids)
        cursor.execute("SELECT set_config('enable_seqscan', %s, true)", [seqscan])
    return _hits(ids, snippets)


def _pg_ranked(
    cursor: CursorWrapper,
    text: str,
    joiner: str,
    match: str,
    score: str,
    readable: tuple[str, tuple[Any, ...]],
    limit: int,
) -> list[int]:
    if not match:
        return []
    # Cover density rewards a search's words standing together, and a title close to them;
    # any of a draft's many words makes a cover of one.
    rank, rank_params = (
        ("ts_rank_cd(s.document, %s::tsquery, 32) + word_similarity(%s, s.title)", [score, text])
        if joiner == "&"
        else ("ts_rank(s.document, %s::tsquery, 32)", [score])
    )
    # A common word matches thousands of articles: they are ordered by their heads (small,
    # kept in the row), and only the best of them by their whole documents.
    cursor.execute(  # constants and the selector's SQL; the words are parameters
        f"""
        SELECT s.article_id, {rank} AS rank
        FROM (
            SELECT s.article_id FROM knowledge_articlesearch s
            WHERE s.document @@ %s::tsquery AND s.article_id IN ({readable[0]})
            ORDER BY ts_rank(s.head, %s::tsquery, 32) DESC, s.article_id DESC
            LIMIT %s
        ) AS best JOIN knowledge_articlesearch s USING (article_id)
        ORDER BY rank DESC, s.article_id DESC
        LIMIT %s
        """,  # noqa: S608
        [*rank_params, match, *readable[1], score, RERANK, limit],
    )
    return [row[0] for row in cursor.fetchall()]


def _pg_close_titles(
    cursor: CursorWrapper,
    text: str,
    readable: tuple[str, tuple[Any, ...]],
    found: list[int],
    limit: int,
) -> list[int]:
    """Titles close to the words (a typo, part of a number), to fill what the words left of
    the page: trigram word similarity, served by the title's index."""
    cursor.execute(  # constants and the selector's SQL; the words are parameters
        f"""
        SELECT s.article_id FROM knowledge_articlesearch s
        WHERE %s <%% s.title AND s.article_id IN ({readable[0]})
            AND NOT s.article_id = ANY(%s)
        ORDER BY word_similarity(%s, s.title) DESC, s.article_id DESC
        LIMIT %s
        """,  # noqa: S608
        [text, *readable[1], found, text, limit],
    )
    return [row[0] for row in cursor.fetchall()]


def _pg_snippets(
    cursor: CursorWrapper, score: str, lexemes: list[str], ids: list[int]
) -> dict[int, str]:
    """Snippets of the page's articles only, each from a window around the first place a
    word stands (a stem is the start of its forms): ts_headline parses all it is given."""
    if not ids:
        return {}
    first_word = "(?i)(" + "|".join(_ESCAPE.sub(r"\\\1", lexeme) for lexeme in lexemes) + ")"
    cursor.execute(
        """
        SELECT s.article_id, ts_headline('russian', substr(s.text, greatest(1,
            coalesce(nullif(strpos(s.text, substring(s.text FROM %s)), 0), 1) - %s), %s),
            %s::tsquery, %s)
        FROM knowledge_articlesearch s WHERE s.article_id = ANY(%s)
        """,
        [first_word, SNIPPET_LEAD, SNIPPET_WINDOW, score, _PG_HEADLINE, ids],
    )
    return dict(cursor.fetchall())


SNIPPET_WINDOW, SNIPPET_LEAD = 1200, 300  # characters of the text, and before the first word
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
