"""Keyset ("cursor") pagination: stable under inserts, constant cost at any depth."""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections.abc import Callable, Hashable, Mapping
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db.models import F, Model, Q, QuerySet
from django.utils.translation import gettext as _

from sladesk.core.errors import DomainError
from sladesk.core.statements import NOTHING_BOUND, Row, rows_reused

ModelT = TypeVar("ModelT", bound=Model)
MAX_LIMIT = 200


def _encode(values: list[Any]) -> str:
    plain = [value.isoformat() if isinstance(value, dt.date) else value for value in values]
    return base64.urlsafe_b64encode(json.dumps(plain).encode()).decode().rstrip("=")


def _decode(cursor: str, size: int) -> list[Any]:
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, TypeError):
        values = None
    if not isinstance(values, list) or len(values) != size:
        raise DomainError(_("Invalid cursor."), field="cursor")
    return values


def _equal(name: str, value: Any) -> Q:
    return Q(**{f"{name}__isnull": True}) if value is None else Q(**{name: value})


def _beyond(key: str, value: Any) -> Q:
    """Rows after `value` for one key; an ascending key sorts nulls last."""
    name = key.lstrip("-")
    if key.startswith("-"):
        return Q(**{f"{name}__lt": value})
    if value is None:
        return Q(pk__in=[])
    return Q(**{f"{name}__gt": value}) | Q(**{f"{name}__isnull": True})


def keyset_page(
    build: Callable[[Mapping[str, Any]], QuerySet[ModelT, Row]],
    *,
    keys: list[str],
    cursor: str | None,
    limit: int,
    reuse: Hashable | None = None,
    values: Mapping[str, Any] = NOTHING_BOUND,
) -> tuple[list[Row], str | None]:
    """One page of the `.values()` rows of `build(values)`, and the cursor of the next page
    (None on the last page). A first page is what clients poll: given `reuse`, which must
    name everything the queryset's SQL is made of besides `values`, its SQL is kept and run
    again with the values of each request bound (core/statements.py); the rows are read
    afresh every time."""

    def page(bound: Mapping[str, Any]) -> QuerySet[ModelT, Row]:
        return _keyset_query(build(bound), keys=keys, cursor=cursor, limit=limit)

    if reuse is None or cursor:
        rows = list(page(values))
    else:
        rows = rows_reused((reuse, tuple(keys), limit), page, values)
    if len(rows) <= limit:
        return rows, None
    items = rows[:limit]
    last = items[-1]
    return items, _encode([last[key.lstrip("-")] for key in keys])


def _keyset_query(
    queryset: QuerySet[ModelT, Row], *, keys: list[str], cursor: str | None, limit: int
) -> QuerySet[ModelT, Row]:
    """`queryset` ordered by `keys` ("-field" descends and must not be null; an ascending
    field may be null and sorts last; the last key must be unique, e.g. "id"), from the row
    after `cursor`, one row more than `limit` (it tells whether a next page exists)."""
    if not 1 <= limit <= MAX_LIMIT:
        raise DomainError(
            _("The limit must be between 1 and %(max)d.") % {"max": MAX_LIMIT}, field="limit"
        )
    names = [key.lstrip("-") for key in keys]
    ordering = [
        F(name).desc() if key.startswith("-") else F(name).asc(nulls_last=True)
        for key, name in zip(keys, names, strict=True)
    ]
    ordered = queryset.order_by(*ordering)
    if cursor:
        values = _decode(cursor, len(keys))
        after = Q(pk__in=[])
        for position, key in enumerate(keys):
            prefix = Q()
            for name, value in zip(names[:position], values[:position], strict=True):
                prefix &= _equal(name, value)
            after |= prefix & _beyond(key, values[position])
        try:
            ordered = ordered.filter(after)
        except (ValidationError, ValueError, TypeError) as error:
            # Decoded, but not values of these keys (a cursor made up or of another order).
            raise DomainError(_("Invalid cursor."), field="cursor") from error
    return ordered[: limit + 1]
