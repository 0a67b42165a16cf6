"""The `sladesk` command: quickstart, serve, worker, migrate, createadmin, token, manage."""

from __future__ import annotations

import argparse
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from types import FrameType
from typing import BinaryIO

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sladesk.settings")
    import django

    django.setup()


def err(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def cmd_migrate(args: argparse.Namespace) -> int:
    setup_django()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=args.verbosity)
    return 0


def cmd_createadmin(args: argparse.Namespace) -> int:
    setup_django()
    from sladesk.core.bootstrap import admin_ensure

    password = args.password or secrets.token_urlsafe(12)
    user, created = admin_ensure(email=args.email, password=password, reset=True)
    print(f"Administrator {user.email} {'created' if created else 'updated'}; password: {password}")
    return 0


def cmd_token(args: argparse.Namespace) -> int:
    setup_django()
    from sladesk.accounts.models import User
    from sladesk.accounts.services import api_token_create
    from sladesk.core.errors import DomainError

    user = User.objects.filter(email__iexact=args.user).first()
    if user is None:
        err(f"No user with e-mail {args.user}.")
        return 2
    try:
        token, raw = api_token_create(user=user, name=args.name, scope=args.scope)
    except DomainError as error:
        err(error.message)
        return 2
    err(f"Token {token.prefix}… ({token.scope}) created for {user.email}.")
    print(raw)
    return 0


EX_TEMPFAIL = 75  # sysexits.h: the MTA keeps the message and tries again
# sysexits.h "the input data was incorrect": a permanent failure, so the MTA bounces the
# message with what we wrote on standard error (Postfix: 5.6.0; Exim and others: any code
# but 75 is permanent). EX_NOPERM (77, 5.7.0) would tell the sender of a policy refusal.
EX_DATAERR = 65


def _read_bounded(stream: BinaryIO, limit: int) -> bytes | None:
    """At most `limit` bytes of `stream`, or None when it holds more; the rest is read and
    dropped, never held, so that the MTA's write does not fail before our exit code counts."""
    raw = stream.read(limit + 1)
    if len(raw) <= limit:
        return raw
    while stream.read(1024 * 1024):
        pass
    return None


EX_NOUSER = 67  # sysexits.h: addressee unknown (the MTA bounces it, 5.1.1)


def _mail_in_by_lmtp(raw: bytes, recipient: str) -> int | None:
    """Hand the message to the running `sladesk lmtp` (`SLADESK_LMTP`: host:port or a socket
    path), which commits it before it answers: no Django start-up here. None when no
    listener is set or answers, and the caller stores the message itself."""
    import re
    import smtplib

    address = os.environ.get("SLADESK_LMTP", "").strip()
    try:
        if address.startswith("/"):
            client = smtplib.LMTP(address, timeout=60)
        else:
            host, _colon, port = address.rpartition(":")
            client = smtplib.LMTP(host or DEFAULT_HOST, int(port), timeout=60)
    except (OSError, ValueError, smtplib.SMTPException):
        return None
    # An MTA's pipe gives lines ending in LF; SMTP's DATA carries CRLF (smtplib converts a
    # str, not bytes).
    wire = re.sub(rb"\r?\n", b"\r\n", raw)
    try:
        with client:
            client.sendmail("", [recipient], wire)
    except smtplib.SMTPRecipientsRefused as refused:
        code = next(iter(refused.recipients.values()))[0]
        err(f"sladesk mail-in: refused by the LMTP listener: {refused.recipients}")
        return EX_NOUSER if code == 550 else EX_DATAERR if code >= 500 else EX_TEMPFAIL
    except smtplib.SMTPResponseException as error:
        err(f"sladesk mail-in: the LMTP listener answered {error.smtp_code} {error.smtp_error!r}")
        return EX_DATAERR if error.smtp_code >= 500 else EX_TEMPFAIL
    except (OSError, smtplib.SMTPException) as error:
        err(f"sladesk mail-in: the LMTP listener went away ({error}); try again later")
        return EX_TEMPFAIL  # it may have stored the message: the MTA's retry is kept once
    return 0


def cmd_mail_in(args: argparse.Namespace) -> int:
    """One RFC 822 message on stdin (an MTA pipe): 0 once it is committed, 65 when it is over
    the size cap (refused: the MTA bounces it), 75 otherwise (the MTA retries).

    With `SLADESK_LMTP` and `--recipient`, the message goes to the running LMTP listener
    (67 for a recipient no mailbox has); when none answers, it is stored directly."""
    from sladesk import config

    try:
        limit = config.mail_max_bytes()
        raw = _read_bounded(sys.stdin.buffer, limit)
    except Exception as error:  # nothing is committed: the MTA must keep the message
        err(f"sladesk mail-in: not read ({type(error).__name__}: {error}); try again later")
        return EX_TEMPFAIL
    if raw is None:
        err(f"sladesk mail-in: message refused: larger than {limit} bytes")
        return EX_DATAERR
    if args.recipient and os.environ.get("SLADESK_LMTP"):
        answered = _mail_in_by_lmtp(raw, args.recipient)
        if answered is not None:
            return answered
    try:
        setup_django()
        from sladesk.channels.choices import InboundSource
        from sladesk.channels.models import Mailbox
        from sladesk.channels.services import (
            MessageTooLarge,
            inbound_mail_process,
            inbound_mail_store,
        )

        mailbox = Mailbox.objects.filter(name=args.mailbox).first() if args.mailbox else None
        if args.mailbox and mailbox is None:
            err(f"sladesk mail-in: no mailbox named {args.mailbox}")
            return EX_TEMPFAIL
        try:
            stored = inbound_mail_store(raw=raw, source=InboundSource.PIPE, mailbox=mailbox)
        except MessageTooLarge as error:  # the cap lowered since the read: still refused
            err(f"sladesk mail-in: message refused: {error.message}")
            return EX_DATAERR
    except Exception as error:  # nothing is committed: the MTA must keep the message
        err(f"sladesk mail-in: not stored ({type(error).__name__}: {error}); try again later")
        return EX_TEMPFAIL
    try:
        inbound_mail_process(inbound_mail_id=stored.mail.pk)
    except Exception as error:  # stored: the worker retries it, the MTA may forget it
        err(f"sladesk mail-in: stored, processing deferred ({type(error).__name__})")
    return 0


def cmd_lmtp(args: argparse.Namespace) -> int:
    """LMTP intake until SIGINT/SIGTERM: 250 for a message only once it is committed."""
    if args.socket and (args.host is not None or args.port is not None):
        err("sladesk lmtp: --socket or --host/--port, not both")
        return 2
    setup_django()
    from sladesk.channels.lmtp import DEFAULT_HOST as LMTP_HOST
    from sladesk.channels.lmtp import DEFAULT_PORT as LMTP_PORT
    from sladesk.channels.lmtp import lmtp_run

    return lmtp_run(
        host=LMTP_HOST if args.host is None else args.host,
        port=LMTP_PORT if args.port is None else args.port,
        socket_path=args.socket or None,
    )


def cmd_manage(args: argparse.Namespace) -> int:
    setup_django()
    from django.core.management import execute_from_command_line

    execute_from_command_line(["sladesk manage", *args.rest])
    return 0


def cmd_worker(args: argparse.Namespace) -> int:
    """Run background tasks and the periodic scheduler until SIGINT/SIGTERM: the database
    backend's `db_worker`, or with SLADESK_TASK_BACKEND=rq an RQ worker on the Redis queue."""
    setup_django()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import OperationalError, close_old_connections

    from sladesk.core.periodic import scheduler_loop

    stop = threading.Event()
    scheduler = threading.Thread(target=scheduler_loop, args=(stop,), daemon=True, name="scheduler")
    scheduler.start()
    delay = 1.0
    try:
        if settings.TASKS["default"]["BACKEND"] == "django_tasks_rq.RQBackend":
            return work_rq_queue(stop)
        while True:
            try:
                call_command("db_worker", interval=args.interval, verbosity=1)
            except OperationalError as error:
                # A locked SQLite database (a long writer elsewhere) or a database that went
                # away: wait, longer each time up to half a minute, and take up work again.
                err(f"sladesk worker: database unavailable ({error}); retrying in {delay:.0f} s")
                close_old_connections()
                if stop.wait(delay):
                    break
                delay = min(delay * 2, 30.0)
                continue
            return 0  # stopped by a signal
    finally:
        stop.set()
    return 0


def work_rq_queue(stop: threading.Event) -> int:
    """Work the RQ "default" queue until SIGINT/SIGTERM (RQ's warm shutdown: the job under
    way finishes first); a Redis server that is down at start makes it wait (1 s doubling
    to 30 s) and try again.

    Jobs run in this process, one at a time, as `db_worker` runs them: RQ's usual fork per
    job would copy the scheduler thread's open database connection into the child, and a
    forked SQLite connection in the middle of a claim's transaction leaves the child's jobs
    failing with "database is locked"."""
    import django_rq
    import rq
    from django.db import close_old_connections
    from django_tasks_rq import Job
    from redis.exceptions import ConnectionError as RedisConnectionError

    class Worker(rq.SimpleWorker):
        def execute_job(self, job: rq.job.Job, queue: rq.Queue) -> None:
            close_old_connections()  # as Django does around a request
            try:
                super().execute_job(job, queue)
            finally:
                close_old_connections()

    delay = 1.0
    while True:
        try:
            # django-tasks-rq's Job class runs the Task that a job names (and no other callable).
            queue = django_rq.get_queue("default", job_class=Job)
            worker = Worker([queue], connection=queue.connection, job_class=Job)
            worker.work(logging_level="INFO")
        except RedisConnectionError as error:
            err(f"sladesk worker: Redis unavailable ({error}); retrying in {delay:.0f} s")
            # RQ's handlers stay installed after its loop ends; a signal now simply stops us.
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            if stop.wait(delay):
                return 0
            delay = min(delay * 2, 30.0)
            continue
        return 0  # stopped by a signal


def server_command(host: str, port: int, workers: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "sladesk.wsgi:application",
        "--bind",
        f"{host}:{port}",
        "--workers",
        str(workers),
        "--threads",
        "4",
        "--access-logfile",
        "-",
        "--graceful-timeout",
        "10",
    ]


def supervise(
    commands: Sequence[list[str]],
    one_shot: Sequence[list[str]] = (),
    restarted: Sequence[list[str]] = (),
) -> int:
    """Run the processes together; stop all of them when one of `commands` ends or on
    Ctrl-C/SIGTERM. `one_shot` processes (a loader) may end without stopping the others;
    `restarted` ones (the embedded worker) are started again when they end, after a pause
    that doubles up to half a minute, so the web server never goes down with them."""
    children = [subprocess.Popen(command) for command in commands]  # noqa: S603  # our argv
    loaders = [subprocess.Popen(command) for command in one_shot]  # noqa: S603  # our argv
    helpers = {index: subprocess.Popen(command) for index, command in enumerate(restarted)}  # noqa: S603  # our argv
    started = dict.fromkeys(helpers, time.monotonic())
    pauses = dict.fromkeys(helpers, 1.0)
    due: dict[int, float] = {}  # helper index -> monotonic time of its restart
    stopping = threading.Event()

    def stop(signum: int, frame: FrameType | None) -> None:
        stopping.set()

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    exit_code = 0
    try:
        while not stopping.is_set():
            ended = [child for child in children if child.poll() is not None]
            if ended:
                exit_code = ended[0].returncode or 0
                break
            for index, helper in list(helpers.items()):
                if helper.poll() is not None and index not in due:
                    if time.monotonic() - started[index] > 60:
                        pauses[index] = 1.0  # it had run well: start afresh, not at 30 s
                    err(
                        f"sladesk: {restarted[index][-1]} ended ({helper.returncode}); "
                        f"starting it again in {pauses[index]:.0f} s"
                    )
                    due[index] = time.monotonic() + pauses[index]
                    pauses[index] = min(pauses[index] * 2, 30.0)
            for index, moment in list(due.items()):
                if time.monotonic() >= moment:
                    helpers[index] = subprocess.Popen(restarted[index])  # noqa: S603  # our argv
                    started[index] = time.monotonic()
                    del due[index]
            stopping.wait(0.5)
    finally:
        for child in [*children, *loaders, *helpers.values()]:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        for child in [*children, *loaders, *helpers.values()]:
            try:
                child.wait(timeout=15)
            except subprocess.TimeoutExpired:
                child.kill()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return exit_code


def serve(
    host: str, port: int, workers: int, with_worker: bool, one_shot: Sequence[list[str]] = ()
) -> int:
    worker = [[sys.executable, "-m", "sladesk.cli", "worker"]] if with_worker else []
    err(f"sladesk is serving on http://{host}:{port}/ (Ctrl-C stops it)")
    return supervise([server_command(host, port, workers)], one_shot, restarted=worker)


def cmd_serve(args: argparse.Namespace) -> int:
    setup_django()
    from django.core.management import call_command

    call_command("collectstatic", interactive=False, verbosity=0)
    return serve(args.host, args.port, args.workers, with_worker=not args.no_worker)


def mail_destination(url: str) -> str:
    """Where the desk's mail goes, said next to the credentials: the catcher's folder and
    its page (no SMTP server configured), or the SMTP server."""
    from django.conf import settings
    from django.urls import reverse

    from sladesk.notifications import catcher

    if catcher.catcher_active():
        page = url.rstrip("/") + reverse("web:mail_list")
        return (
            f"Mail: not sent (SLADESK_SMTP_HOST is not set); kept in {catcher.mail_folder()} "
            f"and shown to administrators at {page}"
        )
    return f"Mail: sent through {settings.EMAIL_HOST}:{settings.EMAIL_PORT}"


def cmd_quickstart(args: argparse.Namespace) -> int:
    setup_django()
    from django.core.management import call_command

    from sladesk.core.bootstrap import admin_ensure
    from sladesk.core.demo import ADMIN_EMAIL, demo_people_load

    err("Preparing the database…")
    call_command("migrate", interactive=False, verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    password = args.demo_password or secrets.token_urlsafe(12)
    if args.no_demo:
        admin_ensure(email=ADMIN_EMAIL, password=password, reset=True)
    else:
        demo_people_load(password=password)
    url = f"http://{args.host}:{args.port}/"
    print(f"sladesk: {url}", flush=True)
    print(f"Administrator: {ADMIN_EMAIL} / {password}", flush=True)
    print(mail_destination(url), flush=True)
    if not args.no_demo:
        print(
            "Demo logins (same password): lead@vendor.example, agent1@vendor.example, "
            "agent2@vendor.example, agent3@vendor.example, specialist@alpha.example, "
            "user@alpha.example, specialist@beta.example, user@beta.example",
            flush=True,
        )
        err("Demo tickets are being registered in the background; reload to see them.")
    loader = [] if args.no_demo else [[sys.executable, "-m", "sladesk.cli", "demo-tickets"]]
    return serve(args.host, args.port, workers=2, with_worker=True, one_shot=loader)


def cmd_demo_tickets(args: argparse.Namespace) -> int:
    """Register the demo tickets (once) through the real services."""
    setup_django()
    from sladesk.core.demo import demo_tickets_load

    made = demo_tickets_load()
    err(f"Demo data ready: {made} tickets registered." if made else "Demo tickets exist already.")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="sladesk", description="An SLA-driven service desk.")
    sub = parser.add_subparsers(dest="command", required=True)

    quick = sub.add_parser("quickstart", help="migrate, load demo data, create an admin, serve")
    quick.add_argument("--host", default=DEFAULT_HOST)
    quick.add_argument("--port", type=int, default=DEFAULT_PORT)
    quick.add_argument("--no-demo", action="store_true", help="do not load demo data")
    quick.add_argument("--demo-password", default="", help="password of every demo login")
    quick.set_defaults(handler=cmd_quickstart)

    demo = sub.add_parser("demo-tickets", help="register the demo tickets (quickstart does it)")
    demo.set_defaults(handler=cmd_demo_tickets)

    serve_parser = sub.add_parser("serve", help="serve the web app with an embedded worker")
    serve_parser.add_argument("--host", default=DEFAULT_HOST)
    serve_parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    serve_parser.add_argument("--workers", type=int, default=2)
    serve_parser.add_argument("--no-worker", action="store_true", help="web processes only")
    serve_parser.set_defaults(handler=cmd_serve)

    worker = sub.add_parser("worker", help="run background tasks and periodic jobs")
    worker.add_argument("--interval", type=float, default=1.0)
    worker.set_defaults(handler=cmd_worker)

    migrate = sub.add_parser("migrate", help="apply database migrations")
    migrate.add_argument("--verbosity", type=int, default=1)
    migrate.set_defaults(handler=cmd_migrate)

    admin = sub.add_parser("createadmin", help="create or reset an administrator")
    admin.add_argument("email")
    admin.add_argument("--password", default="")
    admin.set_defaults(handler=cmd_createadmin)

    token = sub.add_parser("token", help="API tokens")
    token_sub = token.add_subparsers(dest="token_command", required=True)
    create = token_sub.add_parser("create", help="create a token; prints it alone on stdout")
    create.add_argument("user", help="the user's e-mail")
    create.add_argument("--scope", choices=["read", "write", "admin"], default="read")
    create.add_argument("--name", default="cli")
    create.set_defaults(handler=cmd_token)

    mail_in = sub.add_parser("mail-in", help="take one RFC 822 message on stdin (MTA pipe)")
    mail_in.add_argument("--mailbox", default="", help="the mailbox whose policy applies")
    mail_in.add_argument(
        "--recipient",
        default="",
        help="the envelope recipient: with SLADESK_LMTP, hand the message to `sladesk lmtp`",
    )
    mail_in.set_defaults(handler=cmd_mail_in)

    lmtp = sub.add_parser("lmtp", help="LMTP intake for an MTA (Postfix, Dovecot)")
    lmtp.add_argument("--host", default=None, help="default 127.0.0.1")
    lmtp.add_argument("--port", type=int, default=None, help="default 8024")
    lmtp.add_argument("--socket", default="", help="a Unix socket path instead of TCP")
    lmtp.set_defaults(handler=cmd_lmtp)

    manage = sub.add_parser("manage", help="any Django management command")
    manage.add_argument("rest", nargs=argparse.REMAINDER)
    manage.set_defaults(handler=cmd_manage)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from sladesk.config import ConfigurationError

    try:
        return int(args.handler(args))
    except ConfigurationError as error:
        err(f"sladesk: {error}")
        return 2


if __name__ == "__main__":
    sys.exit(main())
