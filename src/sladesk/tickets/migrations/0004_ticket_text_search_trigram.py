"""Trigram indexes for the queue's text search (number, title, description contain the
text: Django's `icontains`, i.e. `UPPER(col) LIKE UPPER('%text%')`). PostgreSQL only; on
SQLite the search scans, which is fine at the embedded mode's sizes."""

from django.db import migrations

COLUMNS = ("number", "title", "description")


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for column in COLUMNS:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS ticket_{column}_trgm ON tickets_ticket "
            f"USING gin ((UPPER({column}::text)) gin_trgm_ops)"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for column in COLUMNS:
        schema_editor.execute(f"DROP INDEX IF EXISTS ticket_{column}_trgm")


class Migration(migrations.Migration):
    dependencies = [("tickets", "0003_list_order_indexes")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
