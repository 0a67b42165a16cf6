"""An autoresponder that answers every message, for 50 rounds, against the real SMTP path."""

from __future__ import annotations

import datetime as dt

import time_machine

from sladesk.channels.services import inbound_mail_process, inbound_mail_store
from sladesk.notifications.services import notifications_deliver_due
from sladesk.tickets.models import Ticket
from tests.channels.conftest import SmtpRecorder, build_mail
from tests.conftest import World

ROBOT = "robot@alpha.example"
START = dt.datetime(2026, 11, 2, 8, tzinfo=dt.UTC)


def test_an_autoresponder_for_50_rounds_gets_at_most_one_auto_reply_per_window(
    world: World, smtp_server: SmtpRecorder
) -> None:
    answered = 0
    with time_machine.travel(START, tick=False) as traveller:
        inbound_mail_process(
            inbound_mail_id=inbound_mail_store(
                raw=build_mail(sender=ROBOT, subject="Hello", message_id="<start@robot>")
            ).mail.pk
        )
        for round_number in range(50):
            notifications_deliver_due()
            received = smtp_server.to(ROBOT)[answered:]
            answered += len(received)
            # It answers whatever it got; half of its answers hide what they are (a new
            # subject, no Auto-Submitted), the other half are honest auto-replies.
            subject = received[-1].message["Subject"] if received else "Hello again"
            honest = round_number % 2 == 0
            raw = build_mail(
                sender=ROBOT,
                subject=f"Out of office: {subject}" if honest else f"Note {round_number}",
                message_id=f"<round{round_number}@robot>",
                headers={"Auto-Submitted": "auto-replied"} if honest else {},
            )
            inbound_mail_process(inbound_mail_id=inbound_mail_store(raw=raw).mail.pk)
            traveller.shift(dt.timedelta(seconds=30))  # 50 rounds: 25 minutes, one window
        notifications_deliver_due()
    assert len(smtp_server.to(ROBOT)) <= 1
    # The loop produced no more than the rate limit's worth of tickets either.
    assert Ticket.objects.count() <= 30
