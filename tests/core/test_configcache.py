"""The process cache of configuration: exact across processes, transactions and means of
writing, because database triggers, not the application, say when it changed."""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from typing import Any

import psycopg
import pytest
import time_machine
from django.core.management import call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from sladesk.accounts.models import ApiToken, Contract, User
from sladesk.accounts.selectors import contract_covering, customer_get, first_line
from sladesk.accounts.services import _touched as token_uses
from sladesk.accounts.services import api_token_authenticate, api_token_create
from sladesk.core import configcache
from sladesk.core.errors import AccessBlocked, InvalidToken
from sladesk.sla.services import sla_install_examples, ticket_sla_prime
from sladesk.tickets.models import Ticket
from sladesk.webhooks.models import WebhookSubscription
from sladesk.webhooks.services import subscriptions_for
from tests.api.test_query_counts import client_for
from tests.conftest import World


@pytest.fixture(autouse=True)
def _empty_cache() -> Iterator[None]:
    configcache.clear()
    token_uses.clear()
    yield
    configcache.clear()


def loads(call: Callable[[], Any]) -> list[str]:
    """The statements `call` ran (the generation is read on the bare connection, unseen)."""
    with CaptureQueriesContext(connection) as captured:
        call()
    return [q["sql"] for q in captured.captured_queries]


def covering(world: World) -> Contract | None:
    return contract_covering(organisation=world.alpha.organisation)


def test_a_second_read_costs_no_query(world: World) -> None:
    assert loads(lambda: covering(world))
    assert loads(lambda: covering(world)) == []
    assert covering(world) == world.alpha.contract


def test_every_cached_loader_reads_only_tracked_tables(world: World) -> None:
    """A loader reading an untracked table would serve stale data: its writes bump nothing."""
    policy = sla_install_examples()["moscow-categories"]
    Contract.objects.filter(pk=world.alpha.contract.pk).update(sla_policy=policy)
    ticket = Ticket(organisation=world.alpha.organisation, contract=covering(world))
    _token, raw = api_token_create(user=world.agent1, name="t")
    statements = []
    for call in (
        lambda: covering(world),
        lambda: customer_get(world.beta.organisation.pk),
        first_line,
        lambda: ticket_sla_prime(ticket, now=dt.datetime.now(dt.UTC)),
        lambda: subscriptions_for(event_type="ticket.created", ticket=ticket),
        lambda: api_token_authenticate(raw),
    ):
        statements += [s for s in loads(call) if s.startswith("SELECT")]
    tables = set(connection.introspection.table_names())
    read = {name for s in statements for name in re.findall(r'"(\w+)"', s) if name in tables}
    assert read, statements
    assert read <= set(configcache.tracked_tables())


def test_writes_by_any_means_are_seen(world: World) -> None:
    contract = world.alpha.contract
    assert covering(world) == contract
    with connection.cursor() as cursor:  # raw SQL, bypassing the ORM and its signals
        cursor.execute(
            f"UPDATE {Contract._meta.db_table} SET status = 'terminated' WHERE id = %s",  # noqa: S608
            [contract.pk],
        )
    assert covering(world) is None
    Contract.objects.filter(pk=contract.pk).update(status="active")  # no signals either
    assert covering(world) == contract


def test_a_rolled_back_change_never_comes_back(world: World) -> None:
    """The trap of a plain counter: a rolled-back bump and a later one take the same value,
    and what the rolled-back transaction cached would be served as current."""
    contract = world.alpha.contract
    with transaction.atomic():
        Contract.objects.filter(pk=contract.pk).update(status="terminated")
        assert covering(world) is None  # cached inside the doomed transaction
        transaction.set_rollback(True)
    Contract.objects.filter(pk=contract.pk).update(number="C-renamed")  # another change
    assert covering(world) == contract


def test_a_load_overtaken_by_a_newer_generation_keeps_to_its_own(world: World) -> None:
    """Another thread may move the cache to a newer generation while a load is under way."""
    contract = world.alpha.contract

    def number() -> str:
        return str(Contract.objects.get(pk=contract.pk).number)

    def overtaken() -> str:
        value = number()
        Contract.objects.filter(pk=contract.pk).update(number="C-newer")
        configcache.cached(("another",), lambda: 1)  # what the other thread does meanwhile
        return value

    assert configcache.cached(("number",), overtaken) == contract.number
    assert configcache.cached(("number",), number) == "C-newer"


def test_many_statements_never_crowd_out_configuration(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(configcache.LIMITS, "statements", 2)
    for number in range(5):
        configcache.cached(("query", number), lambda: None, kind="statements")
    assert loads(lambda: covering(world))
    assert loads(lambda: covering(world)) == []
    assert loads(lambda: configcache.cached(("query", 4), first_line, kind="statements"))


def test_without_a_generation_row_nothing_is_cached(world: World) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {configcache.GENERATION_TABLE}")  # noqa: S608
    assert loads(lambda: covering(world))
    assert loads(lambda: covering(world))
    Contract.objects.filter(pk=world.alpha.contract.pk).update(number="C-2")
    assert configcache.current_generation() is not None  # the next write brings it back


def test_callers_get_their_own_copies(world: World) -> None:
    _token, raw = api_token_create(user=world.agent1, name="t")
    first = api_token_authenticate(raw)
    first.user.full_name = "Changed in memory"
    first.user.organisation.name = "Changed too"
    again = api_token_authenticate(raw)
    assert again.user.full_name == world.agent1.full_name
    assert again.user.organisation.name == world.vendor.name


def test_a_revoked_token_stops_at_once(world: World) -> None:
    token, raw = api_token_create(user=world.agent1, name="t")
    api_token_authenticate(raw)
    ApiToken.objects.filter(pk=token.pk).update(revoked_at=dt.datetime.now(dt.UTC))
    with pytest.raises(InvalidToken):
        api_token_authenticate(raw)


def test_a_blocked_account_stops_at_once(world: World) -> None:
    _token, raw = api_token_create(user=world.alpha.user, name="t")
    api_token_authenticate(raw)
    type(world.alpha.user).objects.filter(pk=world.alpha.user.pk).update(is_active=False)
    with pytest.raises(AccessBlocked):
        api_token_authenticate(raw)


def test_recording_use_does_not_empty_the_cache(world: World) -> None:
    token, raw = api_token_create(user=world.agent1, name="t")
    with time_machine.travel(dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC), tick=False):
        api_token_authenticate(raw)
        generation = configcache.current_generation()
    with time_machine.travel(dt.datetime(2026, 3, 2, 10, 5, tzinfo=dt.UTC), tick=False):
        api_token_authenticate(raw)
        assert loads(lambda: api_token_authenticate(raw)) == []  # no second write a minute
    token.refresh_from_db()
    assert token.last_used_at == dt.datetime(2026, 3, 2, 10, 5, tzinfo=dt.UTC)
    assert configcache.current_generation() == generation


def test_webhook_subscriptions_follow_their_table(world: World) -> None:
    ticket = Ticket(organisation=world.alpha.organisation)
    assert subscriptions_for(event_type="ticket.created", ticket=ticket) == []
    WebhookSubscription.objects.create(
        name="crm", url="https://crm.example/hook", secret="s", events=["ticket.created"]
    )
    assert [s.name for s in subscriptions_for(event_type="ticket.created", ticket=ticket)] == [
        "crm"
    ]


def test_every_tracked_table_has_its_triggers(db: None) -> None:
    """Installed after migrate (and re-installed after flush or a rebuilt SQLite table)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT tgrelid::regclass::text FROM pg_trigger"
                " WHERE tgname = 'core_config_changed'"
            )
            found = {row[0] for row in cursor.fetchall()}
        else:
            cursor.execute("SELECT tbl_name FROM sqlite_master WHERE type = 'trigger'")
            found = {row[0] for row in cursor.fetchall()}
    assert set(configcache.tracked_tables()) <= found


def _database_url() -> str:
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{settings['NAME']}"
    return f"postgres://{settings['USER']}@{settings['HOST']}:{settings['PORT']}/{settings['NAME']}"


@pytest.mark.django_db(transaction=True)
def test_a_change_committed_by_another_process_is_seen(world: World) -> None:
    contract = world.alpha.contract
    assert covering(world) == contract
    script = (
        "import django; django.setup();"
        "from sladesk.accounts.models import Contract;"
        f"Contract.objects.filter(pk={contract.pk}).update(status='terminated')"
    )
    environment = {
        **os.environ,
        "SLADESK_DATABASE_URL": _database_url(),
        "DJANGO_SETTINGS_MODULE": "sladesk.settings",
    }
    command = [sys.executable, "-c", script]
    subprocess.run(command, check=True, env=environment, timeout=60)  # noqa: S603  # our own
    assert covering(world) is None


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a server to drop the link")
@pytest.mark.django_db(transaction=True)
def test_the_first_read_of_a_request_replaces_a_dropped_connection() -> None:
    """It stands in for Django's health check (a `SELECT 1` before the request's first
    query), so it must recover as that check would."""
    assert connection.settings_dict["CONN_HEALTH_CHECKS"]
    configcache.current_generation()
    backend = connection.connection.info.backend_pid
    with psycopg.connect(**connection.get_connection_params(), autocommit=True) as other:
        other.execute("SELECT pg_terminate_backend(%s)", [backend])
    connection.health_check_done = False  # type: ignore[attr-defined]  # a new request
    assert configcache.current_generation() is not None
    assert connection.connection.info.backend_pid != backend


def generation_reads(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    reads: list[int] = []
    read = configcache._generation_read

    def counted() -> Any:
        reads.append(1)
        return read()

    monkeypatch.setattr(configcache, "_generation_read", counted)
    return reads


def test_a_request_reads_the_generation_once_until_it_writes(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    reads = generation_reads(monkeypatch)
    configcache.on_request_started()  # what the request_started signal does
    try:
        assert covering(world) == world.alpha.contract
        first_line()
        assert len(reads) == 1
        Contract.objects.filter(pk=world.alpha.contract.pk).update(status="terminated")
        assert covering(world) is None  # its own change, at once
        assert covering(world) is None
        assert len(reads) == 3  # after a write, every read asks
    finally:
        configcache.on_request_finished()
    first_line()
    first_line()
    assert len(reads) == 5  # outside a request, every read asks


def test_an_api_request_reads_the_generation_once(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = client_for(world.agent1)
    client.get("/api/v1/me")  # the token's first use is recorded
    reads = generation_reads(monkeypatch)
    assert client.get("/api/v1/tickets").status_code == 200  # the token and the page's SQL
    assert len(reads) == 1


def _other_connection() -> psycopg.Connection[Any]:
    return psycopg.connect(**connection.get_connection_params())


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks of a server")
@pytest.mark.django_db(transaction=True)
def test_two_writers_of_tracked_rows_do_not_deadlock(world: World) -> None:
    """Each takes the generation row before its statement's own rows: the second writer
    waits for the first instead of holding a row the first needs next."""
    first_user, second_user = world.agent1.pk, world.agent2.pk
    update = "UPDATE accounts_user SET full_name = %s WHERE id = %s"
    with _other_connection() as first, _other_connection() as second:
        first.execute(update, ["first", first_user])
        waiting = threading.Thread(
            target=lambda: (second.execute(update, ["second", second_user]), second.commit())
        )
        waiting.start()
        # Until the server shows the second writer blocked by the first (no sleeping on a
        # guess): with AFTER triggers it would hold its user's row by then.
        blocked = "SELECT %s = ANY(pg_blocking_pids(%s))"
        pids = [first.info.backend_pid, second.info.backend_pid]
        with _other_connection() as observer:
            observer.autocommit = True
            while not observer.execute(blocked, pids).fetchone()[0]:  # type: ignore[index]
                assert waiting.is_alive()
        first.execute(update, ["first", second_user])  # a deadlock would fail here
        first.commit()
        waiting.join(timeout=30)
    assert not waiting.is_alive()
    assert User.objects.get(pk=second_user).full_name == "second"


@pytest.mark.django_db(transaction=True)
def test_migrating_core_back_and_forth_keeps_writes_working(world: World) -> None:
    call_command("migrate", "core", "0001", verbosity=0)
    Contract.objects.filter(pk=world.alpha.contract.pk).update(number="C-without-cache")
    call_command("migrate", "core", verbosity=0)
    assert configcache.current_generation() is not None
    assert covering(world).number == "C-without-cache"  # type: ignore[union-attr]
    assert loads(lambda: covering(world)) == []


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's own refusal")
@pytest.mark.django_db(transaction=True)
def test_a_migration_may_change_a_watched_columns_type() -> None:
    """PostgreSQL refuses to alter a column that a trigger names; migrate drops them first."""
    configcache.drop_triggers(connection)  # what pre_migrate does
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE accounts_user ALTER COLUMN full_name TYPE varchar(300)")
        cursor.execute("ALTER TABLE accounts_user ALTER COLUMN full_name TYPE varchar(200)")
    assert configcache.current_generation() is None  # no caching until they are back
    configcache.install_triggers(connection)  # what post_migrate does
    assert configcache.current_generation() is not None
