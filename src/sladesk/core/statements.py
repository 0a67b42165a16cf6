"""A `.values()` query compiled once and run again.

Building and compiling a query of thirty columns costs Django about two milliseconds, far
more than PostgreSQL takes to run it. A caller that reads the same query again and again
(the first page of a list that clients poll) keeps its SQL and parameters, through the
configuration cache, under a key that holds everything the SQL is made of; the rows
themselves are read afresh each time. Values that vary from one request to the next (the
list's filters) can be bound instead: the SQL is then kept once for every request that sets
the same filters, whatever their values, each value a parameter of it.

Queries whose rows Django converts after reading (SQLite's datetimes, JSON) are not kept:
`statement_of` says None and the caller evaluates the queryset as usual."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import QuerySet

from sladesk.core.configcache import cached

Row = dict[str, Any]
NOTHING_BOUND: Mapping[str, Any] = MappingProxyType({})


@dataclass(frozen=True)
class Statement:
    using: str
    sql: str
    params: tuple[Any, ...]
    columns: tuple[str, ...]
    # Where in `params` each bound value goes: (position, name), see `rows_reused`.
    slots: tuple[tuple[int, str], ...] = ()

    def rows(self, values: Mapping[str, Any] = NOTHING_BOUND) -> list[Row]:
        params: tuple[Any, ...] | list[Any] = self.params
        if self.slots:
            params = list(params)
            for position, name in self.slots:
                params[position] = values[name]
        with connections[self.using].cursor() as cursor:
            cursor.execute(self.sql, params)
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


def rows_reused(
    key: Hashable,
    build: Callable[[Mapping[str, Any]], QuerySet[Any, Row]],
    values: Mapping[str, Any] = NOTHING_BOUND,
) -> list[Row]:
    """The rows of `build(values)`, whose SQL is kept under `key` (with the configuration's
    generation): `key` must name everything the SQL depends on besides tracked tables and
    `values`.

    Each of `values` becomes a parameter of the kept SQL, which requests with other values
    for the same names then share. While the SQL is made, a stand-in of the same type takes
    each value's place: `build` must put every value into its SQL whatever the value, and
    as it is (compared with a column, not rewritten as `icontains` does; one whose stand-in
    cannot be found among the parameters makes the SQL not kept). Values other than an
    int, a str or an aware datetime are not bound: the query is then built every time."""
    if not all(map(_bindable, values.values())):
        return list(build(values))
    built: list[QuerySet[Any, Row]] = []  # what the first call builds, evaluated if not kept

    def load() -> Statement | None:
        if not values:
            built.append(build(values))
            return statement_of(built[0])
        return _slotted(build, values)

    shape = tuple((name, type(value)) for name, value in values.items())
    statement = cached((key, shape), load, kind="statements")
    if statement is not None:
        return statement.rows(values)
    return list(built[0] if built else build(values))


def _bindable(value: Any) -> bool:
    # A naive datetime is given a zone by Django on its way into the SQL: built each time.
    if isinstance(value, dt.datetime):
        return value.utcoffset() is not None
    return type(value) in (int, str)


def _stand_in(index: int, value: Any) -> Any:
    """A value of `value`'s type unlike any other parameter of the query."""
    if isinstance(value, dt.datetime):
        return dt.datetime(1, 1, 1, microsecond=index + 1, tzinfo=dt.UTC)
    if isinstance(value, str):
        return f"\x00bound-{index}"
    return -2_000_000_000 - index  # within an integer column's range, or Django drops it


def _slotted(
    build: Callable[[Mapping[str, Any]], QuerySet[Any, Row]], values: Mapping[str, Any]
) -> Statement | None:
    stand_ins = {name: _stand_in(i, value) for i, (name, value) in enumerate(values.items())}
    statement = statement_of(build(stand_ins))
    if statement is None:
        return None
    slots = []
    for name, stand_in in stand_ins.items():
        positions = [
            position
            for position, param in enumerate(statement.params)
            if type(param) is type(stand_in) and param == stand_in
        ]
        if not positions:
            return None  # rewritten on its way into the SQL: the value itself is needed
        slots += [(position, name) for position in positions]
    return replace(statement, slots=tuple(slots))
