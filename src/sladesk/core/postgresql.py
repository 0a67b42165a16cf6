"""Timestamps read from PostgreSQL through the C parser of `datetime.fromisoformat`.

Django reads every `timestamptz` value with psycopg's loader written in Python (a subclass,
to give values its connection's time zone): some 100 values on a page of 50 tickets, about
5 microseconds each. The loader below gives the same values, parsed in C; whatever that
parser refuses (infinity, years BC, a non-ISO DateStyle) goes to Django's loader as before.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.postgresql.psycopg_any import BaseTzLoader  # type: ignore[import-untyped]
from psycopg import adapters


class IsoTimestampLoader(BaseTzLoader):
    # Django compares this with its connection's time zone before each cursor; the loader
    # is installed only on connections in UTC.
    timezone = dt.UTC

    def load(self, data: Any) -> dt.datetime:
        try:
            value = dt.datetime.fromisoformat(str(data, "ascii"))
        except ValueError:
            return super().load(data)
        # As Django's loader does: the session's time zone is the connection's (which the
        # parser has mostly given already, as the very same object).
        return value if value.tzinfo is dt.UTC else value.replace(tzinfo=dt.UTC)


def install_timestamp_loader(connection: BaseDatabaseWrapper, **_: Any) -> None:
    """On a new PostgreSQL connection (the `connection_created` signal)."""
    if connection.vendor != "postgresql" or connection.timezone is not dt.UTC:
        # Another zone (DATABASES' TIME_ZONE) may have daylight saving, whose repeated hour
        # `replace()` would not keep apart: Django's own loader then.
        return
    oid = adapters.types["timestamptz"].oid
    connection.connection.adapters.register_loader(oid, IsoTimestampLoader)
