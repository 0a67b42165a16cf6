"""A `.values()` query compiled once and run again.

Building and compiling a query of thirty columns costs Django about two milliseconds, far
more than PostgreSQL takes to run it. A caller that reads the same query again and again
(the first page of a list that clients poll) keeps its SQL and parameters, through the
configuration cache, under a key that holds everything the SQL is made of; the rows
themselves are read afresh each time.

Queries whose rows Django converts after reading (SQLite's datetimes, JSON) are not kept:
`statement_of` says None and the caller evaluates the queryset as usual."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import QuerySet

from sladesk.core.configcache import cached

Row = dict[str, Any]


@dataclass(frozen=True)
class Statement:
    using: str
    sql: str
    params: tuple[Any, ...]
    columns: tuple[str, ...]

    def rows(self) -> list[Row]:
        with connections[self.using].cursor() as cursor:
            cursor.execute(self.sql, self.params)
            # As many columns as names: `statement_of` checked it (zip(strict=True) would
            # cost a third more on a page of fifty rows).
            return [dict(zip(self.columns, row)) for row in cursor.fetchall()]  # noqa: B905


def statement_of(queryset: QuerySet[Any, Row]) -> Statement | None:
    """The SQL of a `.values()` queryset, or None where its rows need converting (or where
    it can match nothing)."""
    query = queryset.query
    compiler = query.get_compiler(using=queryset.db)
    try:
        sql, params = compiler.as_sql()
    except EmptyResultSet:
        return None
    # The names of the row's columns, in order, as Django's ValuesIterable reads them.
    columns = tuple(
        query.selected or (*query.extra_select, *query.values_select, *query.annotation_select)
    )
    selected = [expression for expression, _sql, _alias in compiler.select]
    if len(selected) != len(columns) or compiler.get_converters(selected):
        return None
    return Statement(queryset.db, sql, tuple(params), columns)


def rows_reused(key: Hashable, build: Callable[[], QuerySet[Any, Row]]) -> list[Row]:
    """The rows of `build()`, whose SQL is kept under `key` (with the configuration's
    generation): `key` must name everything the SQL depends on besides tracked tables."""
    built: list[QuerySet[Any, Row]] = []  # what the first call builds, evaluated if not kept

    def load() -> Statement | None:
        built.append(build())
        return statement_of(built[0])

    statement = cached(key, load, kind="statements")
    if statement is not None:
        return statement.rows()
    return list(built[0] if built else build())
