"""What search needs beyond the models, per database: on PostgreSQL the unaccent and
pg_trgm extensions, a GIN index of the documents and a trigram index of the titles; on
SQLite an FTS5 table folding case and diacritics (`knowledge.search`)."""

from django.db import migrations

POSTGRESQL = (
    (
        "CREATE EXTENSION IF NOT EXISTS unaccent",
        "SELECT 1",  # other parts may use it: left in place
    ),
    (
        "CREATE EXTENSION IF NOT EXISTS pg_trgm",
        "SELECT 1",
    ),
    (
        "CREATE INDEX article_search_document ON knowledge_articlesearch USING gin (document)",
        "DROP INDEX IF EXISTS article_search_document",
    ),
    (
        "CREATE INDEX article_search_title_trgm ON knowledge_articlesearch "
        "USING gin (title gin_trgm_ops)",
        "DROP INDEX IF EXISTS article_search_title_trgm",
    ),
)
SQLITE = (
    (
        "CREATE VIRTUAL TABLE knowledge_article_fts USING fts5("
        "title, body, tokenize = 'unicode61 remove_diacritics 2')",
        "DROP TABLE IF EXISTS knowledge_article_fts",
    ),
)


def _run(schema_editor, forwards: bool) -> None:
    statements = {"postgresql": POSTGRESQL, "sqlite": SQLITE}.get(
        schema_editor.connection.vendor, ()
    )
    if not forwards:
        statements = tuple(reversed(statements))
    for forward, backward in statements:
        schema_editor.execute(forward if forwards else backward)


def forwards(apps, schema_editor) -> None:
    _run(schema_editor, True)


def backwards(apps, schema_editor) -> None:
    _run(schema_editor, False)


class Migration(migrations.Migration):
    dependencies = [("knowledge", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards)]
