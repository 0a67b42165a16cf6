"""Timestamps read from PostgreSQL by the C-parsed loader equal Django's own reading."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import DataError, connection

from sladesk.core.postgresql import IsoTimestampLoader

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's loader")

LITERALS = [
    "2026-11-23 17:15:04.123456+00",
    "2026-11-23 17:15:04.5+00",
    "2026-11-23 17:15:04+00",
    "2026-03-29 01:59:59.999999+03",  # another offset: still read as the session shows it
    "2021-10-31 02:30:00 Europe/Prague",
    "0001-01-01 00:00:00+00",
    "9999-12-31 23:59:59.999999+00",
    "infinity",
    "2000-01-01 BC",
]


def read(literal: str, *, django_loader: bool) -> Any:
    with connection.cursor() as cursor:
        if django_loader:
            from django.db.backends.postgresql.psycopg_any import (  # type: ignore[import-untyped]
                register_tzloader,
            )

            register_tzloader(connection.timezone, cursor.cursor)
        cursor.execute("SELECT %s::timestamptz", [literal])
        try:
            return cursor.fetchone()[0]
        except DataError as error:
            return type(error)


@pytest.mark.django_db
@pytest.mark.parametrize("literal", LITERALS)
def test_the_same_value_as_djangos_loader(literal: str) -> None:
    ours = read(literal, django_loader=False)
    assert ours == read(literal, django_loader=True)
    if literal[0].isdigit() and "BC" not in literal:
        assert ours.utcoffset().total_seconds() == 0


@pytest.mark.django_db
def test_every_cursor_uses_the_connections_loader() -> None:
    from psycopg import adapters
    from psycopg.pq import Format

    with connection.cursor() as cursor:
        loader = cursor.cursor.adapters.get_loader(adapters.types["timestamptz"].oid, Format.TEXT)
    assert loader is IsoTimestampLoader  # Django registered none of its own
