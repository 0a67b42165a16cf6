"""PostgreSQL connections bind parameters on the server and prepare what they repeat."""

from __future__ import annotations

import pytest
from django.db import connection

from sladesk.settings import _database

POSTGRES = "postgres://desk@db.example:5432/sladesk"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's prepared statements")
@pytest.mark.django_db
def test_a_query_run_again_with_other_values_is_planned_once() -> None:
    sql = "SELECT count(*) FROM tickets_ticket WHERE id > %s AND title <> %s"
    with connection.cursor() as cursor:
        for value in range(3):
            cursor.execute(sql, [value, f"title {value}"])
        cursor.execute(
            "SELECT statement FROM pg_prepared_statements WHERE statement LIKE %s",
            ["%tickets_ticket WHERE id > $1%"],
        )
        prepared = [row[0] for row in cursor.fetchall()]
    assert prepared == ["SELECT count(*) FROM tickets_ticket WHERE id > $1 AND title <> $2"]


def test_prepared_statements_can_be_turned_off_for_a_pooler(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SLADESK_DATABASE_URL", POSTGRES)
    assert _database()["OPTIONS"] == {"server_side_binding": True, "prepare_threshold": 2}
    monkeypatch.setenv("SLADESK_DATABASE_PREPARED", "false")
    assert "prepare_threshold" not in _database().get("OPTIONS", {})


def test_options_from_the_url_are_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLADESK_DATABASE_URL", POSTGRES + "?sslmode=require")
    options = _database()["OPTIONS"]
    assert options == {"sslmode": "require", "server_side_binding": True, "prepare_threshold": 2}
