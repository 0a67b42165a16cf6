"""E-mail intake throughput: store raw, parse, thread and record, on SQLite and PostgreSQL.

Run: `python benchmarks/mail_intake.py` (PostgreSQL at
`postgres://postgres@127.0.0.1:5432/sladesk_bench_mail`, created if missing and emptied; SQLite
in a temporary directory). 1,000 generated messages from the demo customers: 70 % new
requests, each with two attachments (a 40 KiB image, a 4 KiB log), and 30 % replies to
earlier ones by ticket number. One message at a time, as the mail pipe and the IMAP poller
take them (each stored in its own commit, then processed in one transaction). Median of 3
runs; writes benchmarks/RESULTS.md under "## E-mail intake"."""

from __future__ import annotations

import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from email.message import EmailMessage
from pathlib import Path

HEADING = "## E-mail intake"
MESSAGES = int(os.environ.get("SLADESK_BENCH_MESSAGES", "1000"))
RUNS = 3
POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/sladesk_bench_mail"
SENDERS = [
    "specialist@alpha.example",
    "user@alpha.example",
    "specialist@beta.example",
    "user@beta.example",
]


def generate(run: int) -> list[tuple[bytes, int | None]]:
    """(raw message, index of the earlier new request it replies to, or None)."""
    generator = random.Random(run)  # reproducible load, not secrets
    image = bytes(generator.getrandbits(8) for _ in range(40 * 1024))
    messages: list[tuple[bytes, int | None]] = []
    new_indexes: list[int] = []
    senders: dict[int, str] = {}
    for number in range(MESSAGES):
        message = EmailMessage()
        reply_to = (
            generator.choice(new_indexes) if new_indexes and generator.random() < 0.3 else None
        )
        # A reply comes from the requester: anyone else would be quarantined as unverified.
        senders[number] = senders[reply_to] if reply_to is not None else generator.choice(SENDERS)
        message["From"] = senders[number]
        message["To"] = "support@vendor.example"
        message["Message-ID"] = f"<bench-{run}-{number}@customer.example>"
        message["Date"] = "Mon, 02 Nov 2026 10:00:00 +0300"
        if reply_to is None:
            message["Subject"] = f"Report {number}: the invoice page is blank"
            message.set_content("Since this morning the page shows nothing.\n" * 20)
            message.add_attachment(
                b"\x89PNG\r\n\x1a\n" + image, maintype="image", subtype="png", filename="screen.png"
            )
            message.add_attachment(
                ("2026-11-02 ERROR blank page\n" * 150).encode(),
                maintype="text",
                subtype="plain",
                filename="app.log",
            )
            new_indexes.append(number)
        else:
            message["Subject"] = "Re: {number}"  # the number is filled in once it exists
            message.set_content("More details.\n\n> quoted history\n> more of it\n")
        messages.append((message.as_bytes(), reply_to))
    return messages


def child(label: str) -> None:
    """One backend: load the demo, then feed the messages; prints the result as JSON."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sladesk.settings")
    os.environ["SLADESK_MAIL_RATE_PER_SENDER"] = str(10 * MESSAGES)
    import django

    django.setup()
    from django.core.management import call_command

    from sladesk.channels.models import InboundMail
    from sladesk.channels.services import inbound_mail_process, inbound_mail_store
    from sladesk.core.demo import demo_load
    from sladesk.tickets.models import Ticket

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from _common import fresh_postgres_database

    rates = []
    for run in range(RUNS):
        if label == "PostgreSQL":
            fresh_postgres_database()
        else:
            call_command("flush", interactive=False, verbosity=0)
        demo_load(password="bench-password", ticket_count=0)
        messages = generate(run)
        numbers: dict[int, str] = {}
        started = time.perf_counter()
        for index, (raw, reply_to) in enumerate(messages):
            if reply_to is not None:
                raw = raw.replace(
                    b"Subject: Re: {number}", f"Subject: Re: [{numbers[reply_to]}]".encode()
                )
            stored = inbound_mail_store(raw=raw)
            mail = inbound_mail_process(inbound_mail_id=stored.mail.pk)
            if reply_to is None and mail.ticket is not None:
                numbers[index] = mail.ticket.number
        elapsed = time.perf_counter() - started
        processed = InboundMail.objects.filter(status="processed").count()
        if processed != MESSAGES or Ticket.objects.count() != len(numbers):
            raise SystemExit(f"only {processed} of {MESSAGES} messages were processed")
        rates.append(MESSAGES / elapsed)
    print(json.dumps({"label": label, "rates": rates, "tickets": len(numbers)}))


def main() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from _common import machine, publish

    results = []
    with tempfile.TemporaryDirectory() as directory:
        backends = {
            "SQLite": {
                "SLADESK_DATA_DIR": directory,
                "SLADESK_DATABASE_URL": f"sqlite:///{directory}/bench.sqlite3",
            },
            "PostgreSQL": {"SLADESK_DATA_DIR": directory, "SLADESK_DATABASE_URL": POSTGRES_URL},
        }
        for label, environment in backends.items():
            if label == "SQLite":
                subprocess.run(
                    [sys.executable, "-m", "sladesk.cli", "migrate", "--verbosity", "0"],
                    env={**os.environ, **environment},
                    check=True,
                )
            output = subprocess.run(
                [sys.executable, __file__, "--child", label],
                env={**os.environ, **environment, "SLADESK_LOG_LEVEL": "ERROR"},
                check=True,
                capture_output=True,
                text=True,
            ).stdout
            results.append(json.loads(output.strip().splitlines()[-1]))
    lines = [
        HEADING,
        "",
        f"`python benchmarks/mail_intake.py` on {machine()}. {MESSAGES:,} generated messages "
        "(70 % new requests with a 40 KiB image and a 4 KiB log attached, 30 % replies by "
        "ticket number), each stored raw in its own commit, then parsed, threaded and recorded "
        f"(ticket or comment, attachments, events, SLA columns, outbox rows) in one transaction. "
        f"Median of {RUNS} runs.",
        "",
        "| database | messages per second | tickets |",
        "| --- | ---: | ---: |",
    ]
    lines += [
        f"| {result['label']} | {statistics.median(result['rates']):.0f} | {result['tickets']} |"
        for result in results
    ]
    publish(HEADING, [*lines, ""])


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--child":
        child(sys.argv[2])
    else:
        main()
