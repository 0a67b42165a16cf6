"""What every request reads and hardly anything writes (API tokens and their accounts,
organisations, contracts, support lines, SLA policies, webhook subscriptions), kept in
process memory and still exact across processes.

Every write to a tracked table, from any process and by any means (the ORM, `update()`,
raw SQL, another program), fires database triggers that store a fresh generation number
in the one-row table `core_configgeneration`, inside the writer's own transaction. A reader
asks the database for the generation (one small query) and serves what this process cached
under that very generation, or loads and caches it. So a reader never sees configuration
older than the database's, and sees its own transaction's uncommitted changes.

The number never repeats (a sequence on PostgreSQL, a random 64-bit number on SQLite): a
transaction that changes configuration, caches what it sees and rolls back leaves entries
under a number that no later state can take. No row (a flushed database) means no caching.

Migrations may rebuild a table without its triggers (SQLite) or change a column that a
trigger names (PostgreSQL refuses), so the triggers are dropped before every `migrate`,
with the generation row (no caching meanwhile), and installed again after it and after
every `flush` (post_migrate), with a new generation.

Cached values are shared by the process: `cached` hands out copies of model instances and
of the related instances loaded with them (attribute values themselves are shared: a
caller must not change a JSON value in place). A loader that raises caches nothing."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from contextvars import ContextVar
from typing import Any, TypeVar

import psycopg
from django.apps import apps
from django.db import DatabaseError, connection, models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models.base import ModelState
from psycopg import pq

T = TypeVar("T")

# The models whose tables the cached loaders read, each with the columns whose updates do
# not count (bookkeeping written on use); a test checks every loader against this list.
TRACKED: dict[str, tuple[str, ...]] = {
    "accounts.Organisation": (),
    "accounts.Contract": (),
    "accounts.SupportLine": (),
    "accounts.SupportLine_members": (),
    "accounts.User": ("last_login",),
    "accounts.ApiToken": ("last_used_at",),
    "tickets.ClassificationScheme": (),
    "sla.Calendar": (),
    "sla.SlaPolicy": (),
    "sla.SlaTarget": (),
    "webhooks.WebhookSubscription": (),
    "channels.Mailbox": ("last_polled_at", "last_error"),
    "notifications.ChatTarget": (),
    "notifications.NotificationPreference": (),
    "notifications.NotificationDefault": (),
}
GENERATION_TABLE = "core_configgeneration"
SEQUENCE = "core_configgeneration_seq"
# How many entries each kind of entry may keep per generation; beyond it, loads are served
# without being kept. Kinds are apart so that many of one (statements of varied queries)
# never crowd out another (tokens, contracts).
LIMITS = {"config": 10_000, "statements": 1_000}

# Per kind, the generation whose entries this process keeps, and those entries: one tuple,
# replaced whole, so that a thread still loading for an older generation stores into that
# generation's dictionary and never into a newer one's.
_stores: dict[str, tuple[int | None, dict[Hashable, Any]]] = {}


def tracked_tables() -> dict[str, list[str] | None]:
    """Each tracked table with the columns whose updates count, or None for all of them."""
    tables: dict[str, list[str] | None] = {}
    for label, ignored in TRACKED.items():
        meta = apps.get_model(label)._meta
        columns = [f.column for f in meta.concrete_fields if f.name not in ignored]
        tables[meta.db_table] = columns if ignored else None
    return tables


# Within a request, the generation is read once and reused until the request writes
# anything: configuration as of the request's start, plus its own changes. A write may
# change the generation, and may yet be rolled back, so after one every read asks again.
_request: ContextVar[dict[str, Any] | None] = ContextVar("configcache_request", default=None)


def _generation() -> int | None:
    memo = _request.get()
    if memo is None or memo.get("wrote"):  # outside a request, or after a write
        return current_generation()
    if "generation" not in memo:
        memo["generation"] = current_generation()
    return memo["generation"]


def on_request_started(**_: Any) -> None:
    _request.set({})


def on_request_finished(**_: Any) -> None:
    _request.set(None)


def watch_writes(
    execute: Callable[..., Any], sql: str, params: Any, many: bool, context: dict[str, Any]
) -> Any:
    """An execute wrapper on every connection: marks the request as having written when a
    statement other than a SELECT goes out (savepoints and CTEs count: reuse is only lost)."""
    memo = _request.get()
    if memo is not None and (many or sql.lstrip()[:6].upper() != "SELECT"):
        memo["wrote"] = True
    return execute(sql, params, many, context)


def on_connection_created(connection: BaseDatabaseWrapper, **_: Any) -> None:
    if watch_writes not in connection.execute_wrappers:
        connection.execute_wrappers.insert(0, watch_writes)
    if connection.vendor != "sqlite":
        # A new connection may reach a database restored from a backup or failed over to
        # a replica, whose generations can repeat earlier ones: start afresh. (SQLite opens
        # a connection per request; its file is not restored under a running server.)
        clear()


GENERATION_SQL = f"SELECT value FROM {GENERATION_TABLE} WHERE id = 1"  # noqa: S608


def current_generation() -> int | None:
    """The generation now, read on the bare driver connection: every cached read asks, and
    Django's cursor machinery would cost several times the query itself.

    The first read of a request is also the connection's health check (Django would send
    a `SELECT 1` of its own first): if it fails on a connection that turns out unusable,
    the connection is replaced and the read made again."""
    # (Attributes of Django's connection that its type stubs do not declare.)
    checking = (
        connection.connection is not None
        and getattr(connection, "health_check_enabled", False)
        and not getattr(connection, "health_check_done", True)
    )
    connection.ensure_connection()
    try:
        value = _generation_read()
    except DatabaseError:
        if not checking or connection.is_usable():
            raise
        connection.close()
        connection.ensure_connection()
        value = _generation_read()
    connection.health_check_done = True  # type: ignore[attr-defined]  # it has just worked
    return None if value is None else int(value)


def _generation_read() -> Any:
    with connection.wrap_database_errors:
        if connection.vendor == "postgresql":
            result = connection.connection.pgconn.exec_(GENERATION_SQL.encode())
            if result.status != pq.ExecStatus.TUPLES_OK:
                raise psycopg.OperationalError(result.get_error_message())
            return result.get_value(0, 0) if result.ntuples else None
        row = connection.connection.execute(GENERATION_SQL).fetchone()
        return None if row is None else row[0]


def cached(key: Hashable, load: Callable[[], T], *, kind: str = "config") -> T:
    """`load()`'s value for `key` as of the database's current configuration."""
    generation = _generation()
    if generation is None:
        return load()
    store = _stores.get(kind)
    if store is None or store[0] != generation:
        store = _stores[kind] = (generation, {})
    entries = store[1]
    try:
        value = entries[key]
    except KeyError:
        value = load()
        if len(entries) < LIMITS[kind]:
            entries[key] = value
    return _copied(value)


def _copied(value: T) -> T:
    if isinstance(value, models.Model):
        # What copy.copy() gives, without the pickling protocol it goes through: a new
        # instance and state, and copies of the related instances cached on it.
        clone = value.__class__.__new__(value.__class__)
        clone.__dict__.update(value.__dict__)
        state = clone._state = ModelState()
        state.db, state.adding = value._state.db, value._state.adding
        state.fields_cache = {
            name: _copied(related) for name, related in value._state.fields_cache.items()
        }
        return clone
    if isinstance(value, list):
        return [_copied(item) for item in value]  # type: ignore[return-value]
    if isinstance(value, tuple):
        return tuple(_copied(item) for item in value)  # type: ignore[return-value]
    return value


def install_triggers(database: BaseDatabaseWrapper) -> None:
    """After migrate or flush: create the triggers on every tracked table and start a new
    generation (which also brings back the row that `drop_triggers` removed)."""
    existing = set(database.introspection.table_names())
    if GENERATION_TABLE not in existing:
        return  # core migrated backwards: `drop_triggers` has removed them
    tables = {t: columns for t, columns in tracked_tables().items() if t in existing}
    quote = database.ops.quote_name
    if database.vendor == "postgresql":
        statements = _postgresql(tables, quote)
    else:
        statements = _sqlite(tables, quote)
    with database.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def drop_triggers(database: BaseDatabaseWrapper) -> None:
    """Before migrate. Migrations may change the type of a column that a trigger names
    (PostgreSQL refuses), rebuild a table without its triggers (SQLite) or remove the
    generation table (whose triggers would then fail every write). The generation row goes
    too: nothing is cached until `install_triggers` runs, so a migration that stops half way
    leaves caching off rather than stale."""
    existing = set(database.introspection.table_names())
    quote = database.ops.quote_name
    with database.cursor() as cursor:
        for table in tracked_tables():
            if table not in existing:
                continue
            if database.vendor == "postgresql":
                cursor.execute(f"DROP TRIGGER IF EXISTS core_config_changed ON {quote(table)}")
                continue
            for operation in SQLITE_OPERATIONS:
                cursor.execute(f"DROP TRIGGER IF EXISTS {quote(_sqlite_trigger(table, operation))}")
        if GENERATION_TABLE in existing:
            cursor.execute(f"DELETE FROM {GENERATION_TABLE}")  # noqa: S608  # a constant


def _postgresql(tables: dict[str, list[str] | None], quote: Callable[[str], str]) -> list[str]:
    # Constant names only: nothing here comes from input.
    bump = (
        f"INSERT INTO {GENERATION_TABLE} (id, value) VALUES (1, nextval('{SEQUENCE}'))"  # noqa: S608
        " ON CONFLICT (id) DO UPDATE SET value = EXCLUDED.value"
    )
    function = (
        "CREATE OR REPLACE FUNCTION core_config_changed() RETURNS trigger LANGUAGE plpgsql AS"
        f" $$ BEGIN {bump}; RETURN NULL; END $$"
    )
    # BEFORE the statement: the generation row is locked ahead of the statement's own rows,
    # always in that order, so two writers of tracked rows cannot deadlock over it.
    triggers = [
        f"CREATE OR REPLACE TRIGGER core_config_changed BEFORE INSERT"
        f" OR {_update_of(columns, quote)} OR DELETE OR TRUNCATE ON {quote(table)}"
        " FOR EACH STATEMENT EXECUTE FUNCTION core_config_changed()"
        for table, columns in tables.items()
    ]
    return [f"CREATE SEQUENCE IF NOT EXISTS {SEQUENCE}", function, *triggers, bump]


SQLITE_OPERATIONS = ("insert", "update", "delete")


def _sqlite_trigger(table: str, operation: str) -> str:
    return f"core_config_{operation}_{table}"


def _sqlite(tables: dict[str, list[str] | None], quote: Callable[[str], str]) -> list[str]:
    # No statement-level triggers in SQLite (and no TRUNCATE): one per row and operation.
    # An UPDATE, not INSERT OR REPLACE: a statement's own conflict clause (INSERT OR IGNORE)
    # would override the trigger's and skip the bump.
    bump = (
        f"INSERT OR IGNORE INTO {GENERATION_TABLE} (id, value) VALUES (1, 0);"  # noqa: S608
        f" UPDATE {GENERATION_TABLE} SET value = random() WHERE id = 1"
    )
    statements = []
    for table, columns in tables.items():
        for operation in SQLITE_OPERATIONS:
            event = _update_of(columns, quote) if operation == "update" else operation.upper()
            name = quote(_sqlite_trigger(table, operation))
            statements += [
                f"DROP TRIGGER IF EXISTS {name}",  # its column list may be out of date
                f"CREATE TRIGGER {name} AFTER {event} ON {quote(table)} BEGIN {bump}; END",
            ]
    return [*statements, *bump.split("; ")]


def _update_of(columns: list[str] | None, quote: Callable[[str], str]) -> str:
    return "UPDATE" if columns is None else "UPDATE OF " + ", ".join(map(quote, columns))


def clear() -> None:
    """Forget every entry (tests start from an empty cache)."""
    _stores.clear()


def on_pre_migrate(using: str = "default", **_: Any) -> None:
    from django.db import connections

    drop_triggers(connections[using])


def on_post_migrate(using: str = "default", **_: Any) -> None:
    from django.db import connections

    install_triggers(connections[using])
