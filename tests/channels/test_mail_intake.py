"""E-mail intake against the database: tickets, replies, spoofing, loops, bad mail."""

from __future__ import annotations

import pytest
from django.conf import LazySettings

from sladesk.accounts.choices import ContractStatus
from sladesk.channels.choices import InboundStatus, UnknownSenderPolicy
from sladesk.channels.models import InboundMail, Mailbox
from sladesk.channels.services import (
    FLAG_UNVERIFIED,
    MessageTooLarge,
    inbound_mail_process,
    inbound_mail_reprocess,
    inbound_mail_store,
)
from sladesk.core.errors import PermissionDenied
from sladesk.notifications.choices import NotificationKind
from sladesk.notifications.models import Notification
from sladesk.tickets import services
from sladesk.tickets.choices import Channel, CommentKind
from sladesk.tickets.models import Comment, Ticket
from tests.channels.conftest import build_mail
from tests.channels.parsers_for_the_child import endless_parse
from tests.conftest import World


def intake(raw: bytes, mailbox: Mailbox | None = None) -> InboundMail:
    stored = inbound_mail_store(raw=raw, mailbox=mailbox)
    return inbound_mail_process(inbound_mail_id=stored.mail.pk)


def test_a_customers_mail_becomes_a_ticket_with_its_attachments_and_an_acknowledgement(
    world: World,
) -> None:
    mail = intake(
        build_mail(attachments=[("screen shot.png", b"\x89PNG\r\n\x1a\n" + b"0" * 64, "image/png")])
    )
    assert mail.status == InboundStatus.PROCESSED
    ticket = mail.ticket
    assert ticket is not None
    assert ticket.channel == Channel.EMAIL
    assert ticket.requester == world.alpha.user
    assert ticket.title == "The invoice page is blank"
    assert "invoice page shows nothing" in ticket.description
    assert [item.filename for item in ticket.attachments.all()] == ["screen shot.png"]
    acknowledgement = Notification.objects.get(
        ticket=ticket, channel="email", recipient="user@alpha.example"
    )
    assert acknowledgement.kind == NotificationKind.ACKNOWLEDGEMENT
    assert acknowledgement.recipient == "user@alpha.example"


def test_the_same_message_delivered_twice_makes_one_ticket(world: World) -> None:
    first = intake(build_mail())
    # The second copy came another way: other trace headers, other bytes, same Message-ID.
    second = intake(b"Received: from relay2.example by mx\r\n" + build_mail())
    assert second.pk == first.pk
    assert Ticket.objects.count() == 1
    assert InboundMail.objects.count() == 1


def test_a_message_without_message_id_is_recognised_by_its_bytes(world: World) -> None:
    raw = build_mail(message_id=None)
    intake(raw)
    intake(raw.replace(b"\n", b"\r\n"))  # the same message with CRLF line ends
    assert Ticket.objects.count() == 1


def test_the_requesters_reply_with_the_number_is_a_comment_and_resumes_the_ticket(
    world: World,
) -> None:
    ticket = world.ticket(world.alpha)
    services.ticket_request_info(
        actor=world.agent1, ticket_id=ticket.pk, question="Which browser do you use?"
    )
    mail = intake(
        build_mail(
            subject=f"Re: [{ticket.number}] Information needed",
            body="Firefox 128.\n\nOn Monday the desk wrote:\n> Which browser do you use?",
            message_id="<reply@alpha.example>",
        )
    )
    ticket.refresh_from_db()
    assert mail.status == InboundStatus.PROCESSED
    assert mail.ticket == ticket
    assert ticket.status == "in_progress"
    comment = Comment.objects.filter(ticket=ticket).order_by("-id").first()
    assert comment is not None
    assert comment.author == world.alpha.user
    assert comment.body == "Firefox 128."


def test_a_reply_to_our_notification_threads_by_in_reply_to(world: World) -> None:
    ticket = world.ticket(world.alpha)
    ours = Notification.objects.get(ticket=ticket, channel="email", user=world.alpha.user)
    mail = intake(
        build_mail(
            sender="specialist@alpha.example",
            subject="Re: your message",
            message_id="<r2@alpha.example>",
            headers={"In-Reply-To": f"<{ours.message_id}>"},
        )
    )
    assert mail.ticket == ticket
    assert mail.comment is not None


def test_a_non_participant_replying_with_a_ticket_number_is_quarantined_unverified(
    world: World,
) -> None:
    ticket = world.ticket(world.alpha)
    before = ticket.comments.count()
    mail = intake(
        build_mail(
            sender="user@beta.example",
            subject=f"Re: [{ticket.number}] hijack",
            message_id="<spoof@beta.example>",
        )
    )
    assert mail.status == InboundStatus.QUARANTINED
    assert mail.reason.startswith("unverified")
    assert ticket.comments.count() == before


def test_a_forged_in_reply_to_from_a_stranger_never_appends(world: World) -> None:
    ticket = world.ticket(world.alpha)
    ours = Notification.objects.get(ticket=ticket, channel="email", user=world.alpha.user)
    mail = intake(
        build_mail(
            sender="mallory@evil.example",
            subject="Re: hello",
            message_id="<forged@evil.example>",
            headers={"In-Reply-To": f"<{ours.message_id}>", "References": f"<{ours.message_id}>"},
        )
    )
    assert mail.status == InboundStatus.QUARANTINED
    assert ticket.comments.count() == 0


def test_a_display_name_that_looks_like_a_customers_address_is_not_that_customer(
    world: World,
) -> None:
    ticket = world.ticket(world.alpha)
    mail = intake(
        build_mail(
            sender='"user@alpha.example" <mallory@evil.example>',
            subject=f"Re: [{ticket.number}]",
            message_id="<name@evil.example>",
        )
    )
    assert mail.sender == "mallory@evil.example"
    assert mail.status == InboundStatus.QUARANTINED


def test_an_unknown_sender_of_a_customer_domain_gets_a_flagged_ticket(world: World) -> None:
    mail = intake(build_mail(sender="newcomer@alpha.example"))
    ticket = mail.ticket
    assert ticket is not None
    assert ticket.organisation == world.alpha.organisation
    assert ticket.requester is None
    assert ticket.contact == "newcomer@alpha.example"
    assert FLAG_UNVERIFIED in ticket.tags.values_list("name", flat=True)
    # They are the participant of their own ticket by address.
    reply = intake(
        build_mail(
            sender="newcomer@alpha.example",
            subject=f"Re: [{ticket.number}]",
            message_id="<again@alpha.example>",
        )
    )
    assert reply.comment is not None
    assert not Notification.objects.filter(
        comment=reply.comment, recipient="newcomer@alpha.example"
    )
    # Asked for information, their answer by mail resumes the ticket (and its SLA clocks).
    services.ticket_request_info(actor=world.agent1, ticket_id=ticket.pk, question="Which host?")
    answer = intake(
        build_mail(
            sender="newcomer@alpha.example",
            subject=f"Re: [{ticket.number}]",
            message_id="<answer@alpha.example>",
        )
    )
    assert answer.comment is not None
    ticket.refresh_from_db()
    assert ticket.status == "in_progress"


@pytest.mark.parametrize("policy", [UnknownSenderPolicy.QUARANTINE, UnknownSenderPolicy.CREATE])
def test_an_unknown_sender_follows_the_mailboxs_policy(world: World, policy: str) -> None:
    mailbox = Mailbox.objects.create(
        name="support",
        address="support@vendor.example",
        unknown_sender_policy=policy,
        default_organisation=world.beta.organisation,
    )
    mail = intake(build_mail(sender="someone@nowhere.example"), mailbox)
    if policy == UnknownSenderPolicy.QUARANTINE:
        assert mail.status == InboundStatus.QUARANTINED
        assert mail.ticket is None
    else:
        assert mail.ticket is not None
        assert mail.ticket.organisation == world.beta.organisation
        assert FLAG_UNVERIFIED in mail.ticket.tags.values_list("name", flat=True)


@pytest.mark.parametrize("organisation_code", ["beta", "", "no-such-code"])
def test_a_piped_message_of_an_unknown_sender_follows_the_settings(
    world: World, settings: LazySettings, organisation_code: str
) -> None:
    """Without a mailbox, `create` files it under SLADESK_MAIL_DEFAULT_ORGANISATION; with
    none that exists, the message waits in quarantine rather than go nowhere."""
    settings.SLADESK_MAIL_UNKNOWN_SENDERS = UnknownSenderPolicy.CREATE
    settings.SLADESK_MAIL_DEFAULT_ORGANISATION = organisation_code
    world.beta.organisation.code = "beta"
    world.beta.organisation.save()
    mail = intake(build_mail(sender="someone@nowhere.example"))
    if organisation_code == "beta":
        assert mail.ticket is not None
        assert mail.ticket.organisation == world.beta.organisation
        assert FLAG_UNVERIFIED in mail.ticket.tags.values_list("name", flat=True)
    else:
        assert mail.status == InboundStatus.QUARANTINED
        assert not Ticket.objects.exists()


def test_an_organisation_outside_its_contract_still_gets_the_ticket_flagged(
    world: World,
) -> None:
    world.alpha.contract.status = ContractStatus.EXPIRED
    world.alpha.contract.save()
    mail = intake(build_mail())
    assert mail.ticket is not None
    assert mail.ticket.outside_contract


@pytest.mark.parametrize(
    "headers",
    [
        {"Auto-Submitted": "auto-replied"},
        {"Precedence": "bulk"},
        {"Precedence": "junk"},
        {"Precedence": "list"},
        {"X-Auto-Response-Suppress": "OOF"},
        {"List-Id": "<announce.alpha.example>"},
        {"Return-Path": "<>"},
    ],
)
def test_automatic_mail_never_opens_a_ticket_nor_reopens_one(
    world: World, headers: dict[str, str]
) -> None:
    mail = intake(build_mail(subject="Out of office", headers=headers))
    assert mail.status == InboundStatus.IGNORED
    ticket = world.ticket(world.alpha)
    services.ticket_resolve(actor=world.agent1, ticket_id=ticket.pk, resolution="Fixed.")
    reply = intake(
        build_mail(
            subject=f"Auto: [{ticket.number}] Resolved", headers=headers, message_id="<a2@x>"
        )
    )
    ticket.refresh_from_db()
    assert ticket.status == "resolved"
    assert reply.comment is not None
    assert reply.comment.kind == CommentKind.INTERNAL
    assert not Notification.objects.filter(recipient="user@alpha.example", comment=reply.comment)


def test_mail_from_the_desks_own_address_is_ignored(world: World, settings: LazySettings) -> None:
    settings.SLADESK_MAIL_FROM = "support@vendor.example"
    mail = intake(build_mail(sender="support@vendor.example"))
    assert mail.status == InboundStatus.IGNORED
    assert not Ticket.objects.exists()


def test_a_bounce_is_recorded_on_the_notification_it_answers(world: World) -> None:
    ticket = world.ticket(world.alpha)
    ours = Notification.objects.get(ticket=ticket, channel="email", user=world.alpha.user)
    bounce = (
        "From: MAILER-DAEMON@alpha.example\r\nTo: support@vendor.example\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\nMessage-ID: <bounce1@alpha.example>\r\n"
        "MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; "
        'boundary="b"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nMailbox unknown.\r\n'
        "--b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx\r\n\r\n"
        "Final-Recipient: rfc822; user@alpha.example\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        f"\r\n--b\r\nContent-Type: text/rfc822-headers\r\n\r\nMessage-ID: <{ours.message_id}>\r\n"
        "\r\n--b--\r\n"
    ).encode()
    mail = intake(bounce)
    assert mail.status == InboundStatus.IGNORED
    ours.refresh_from_db()
    assert ours.bounced_at is not None
    assert "Mailbox unknown" in ours.bounce_reason
    assert Ticket.objects.count() == 1


def test_a_sender_over_the_rate_limit_is_quarantined(world: World, settings: LazySettings) -> None:
    settings.SLADESK_MAIL_RATE_PER_SENDER = 3
    results = [
        intake(build_mail(subject=f"Problem {n}", message_id=f"<rate{n}@alpha.example>"))
        for n in range(5)
    ]
    assert [mail.status for mail in results] == [InboundStatus.PROCESSED] * 3 + [
        InboundStatus.QUARANTINED
    ] * 2
    assert "too many" in results[-1].reason


def test_bad_mail_is_quarantined_with_its_reason_and_can_be_reprocessed(
    world: World, settings: LazySettings
) -> None:
    parts = "".join(f"--b\r\nContent-Type: text/plain\r\n\r\npart {n}\r\n" for n in range(600))
    raw = (
        "From: user@alpha.example\r\nSubject: many parts\r\nMessage-ID: <parts@alpha.example>\r\n"
        'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b"\r\n\r\n'
        f"{parts}--b--\r\n"
    ).encode()
    mail = intake(raw)
    assert mail.status == InboundStatus.QUARANTINED
    assert "MIME parts" in mail.reason
    assert bytes(mail.raw) == raw  # kept for the administrator
    with pytest.raises(PermissionDenied):
        inbound_mail_reprocess(actor=world.agent1, inbound_mail_id=mail.pk)
    again = inbound_mail_reprocess(actor=world.admin, inbound_mail_id=mail.pk)
    assert again.status == InboundStatus.QUARANTINED  # the same limits still hold


def test_an_oversized_message_is_refused_and_nothing_is_stored(
    world: World, settings: LazySettings
) -> None:
    settings.SLADESK_MAIL_MAX_BYTES = 2000
    with pytest.raises(MessageTooLarge, match="larger than 2000 bytes"):
        intake(build_mail(body="x" * 5000))
    assert not InboundMail.objects.exists()
    assert not Ticket.objects.exists()


def test_a_quarantined_unknown_sender_is_reprocessed_once_the_person_exists(
    world: World,
) -> None:
    mail = intake(build_mail(sender="later@nowhere.example"))
    assert mail.status == InboundStatus.QUARANTINED
    world.alpha.organisation.email_domains = "alpha.example,nowhere.example"
    world.alpha.organisation.save()
    again = inbound_mail_reprocess(actor=world.admin, inbound_mail_id=mail.pk)
    assert again.status == InboundStatus.PROCESSED
    assert again.ticket is not None


def test_a_parser_crash_leaves_the_message_pending_for_a_retry(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sladesk.channels import services as intake_services

    stored = inbound_mail_store(raw=build_mail())

    def explode(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(intake_services, "_new_ticket", explode)
    with pytest.raises(RuntimeError):
        inbound_mail_process(inbound_mail_id=stored.mail.pk)
    stored.mail.refresh_from_db()
    assert stored.mail.status == InboundStatus.PENDING
    assert stored.mail.attempts == 1
    assert not Ticket.objects.exists()
    monkeypatch.undo()
    assert intake_services.inbound_mail_process_pending() == 1
    stored.mail.refresh_from_db()
    assert stored.mail.ticket is not None


def test_a_message_that_takes_too_long_to_parse_is_quarantined(
    world: World, settings: LazySettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sladesk.channels import services as intake_services

    settings.SLADESK_MAIL_PARSE_SECONDS = 0.2
    monkeypatch.setattr(intake_services, "parse", endless_parse)
    mail = intake(build_mail())
    assert mail.status == InboundStatus.QUARANTINED
    assert "longer than 0.2 s" in mail.reason


# --- who sent it: the receiving server's Authentication-Results -----------------------------

SERVER = "mx.vendor.example"
SPOOFED = f"{SERVER}; spf=fail smtp.mailfrom=user@alpha.example; dkim=none; dmarc=fail"
GENUINE = f"{SERVER}; dkim=pass header.d=alpha.example; dmarc=pass header.from=alpha.example"


def checked_mailbox() -> Mailbox:
    return Mailbox.objects.create(
        name="support", address="support@vendor.example", authserv_id=SERVER
    )


@pytest.mark.parametrize(("results", "accepted"), [(GENUINE, True), (SPOOFED, False)])
def test_a_reply_is_taken_only_when_the_server_authenticated_its_sender(
    world: World, results: str, accepted: bool
) -> None:
    ticket = world.ticket(world.alpha)
    before = ticket.comments.count()
    mail = intake(
        build_mail(
            subject=f"Re: [{ticket.number}] please close it",
            message_id="<maybe@alpha.example>",
            headers={"Authentication-Results": results},
        ),
        checked_mailbox(),
    )
    assert mail.authentication.startswith(SERVER)
    if accepted:
        assert mail.status == InboundStatus.PROCESSED
        assert ticket.comments.count() == before + 1
    else:
        assert mail.status == InboundStatus.QUARANTINED
        assert mail.reason.startswith("sender not authenticated")
        assert "dmarc=fail" in mail.reason
        assert ticket.comments.count() == before


def test_a_known_persons_new_ticket_needs_an_authenticated_sender_too(world: World) -> None:
    # The field a forger wrote under the desk's server name sits below the server's own.
    raw = (
        f"Authentication-Results: {SPOOFED}\r\n"
        "Received: from relay.evil.example by mx.vendor.example\r\n"
        f"Authentication-Results: {GENUINE}\r\n"
    ).encode() + build_mail()
    mail = intake(raw, checked_mailbox())
    assert mail.status == InboundStatus.QUARANTINED
    assert not Ticket.objects.exists()


def test_without_a_server_to_ask_the_from_header_is_taken_as_before(world: World) -> None:
    mailbox = Mailbox.objects.create(name="plain", address="support@vendor.example")
    mail = intake(build_mail(headers={"Authentication-Results": SPOOFED}), mailbox)
    assert mail.status == InboundStatus.PROCESSED
    assert mail.authentication == ""


def test_an_unknown_sender_is_not_held_to_the_check_but_flagged(world: World) -> None:
    mailbox = checked_mailbox()
    mailbox.unknown_sender_policy = UnknownSenderPolicy.CREATE
    mailbox.default_organisation = world.beta.organisation
    mailbox.save()
    mail = intake(build_mail(sender="someone@nowhere.example"), mailbox)
    assert mail.ticket is not None
    assert FLAG_UNVERIFIED in mail.ticket.tags.values_list("name", flat=True)


def test_piped_mail_is_checked_by_the_settings_and_an_administrator_can_vouch_for_it(
    world: World, settings: LazySettings
) -> None:
    settings.SLADESK_MAIL_AUTHSERV_ID = SERVER
    mail = intake(build_mail())
    assert mail.status == InboundStatus.QUARANTINED
    assert "no Authentication-Results from mx.vendor.example" in mail.reason
    again = inbound_mail_reprocess(actor=world.admin, inbound_mail_id=mail.pk)
    assert again.status == InboundStatus.PROCESSED
    assert again.sender_vouched
    assert again.ticket is not None
    assert again.ticket.requester == world.alpha.user


def test_forgeries_in_a_persons_name_never_use_up_that_persons_allowance(
    world: World, settings: LazySettings
) -> None:
    settings.SLADESK_MAIL_RATE_PER_SENDER = 2
    mailbox = checked_mailbox()
    for number in range(3):
        forged = intake(
            build_mail(
                message_id=f"<forged{number}@evil.example>",
                headers={"Authentication-Results": SPOOFED},
            ),
            mailbox,
        )
        assert forged.reason.startswith("sender not authenticated")
    genuine = intake(build_mail(headers={"Authentication-Results": GENUINE}), mailbox)
    assert genuine.status == InboundStatus.PROCESSED


def test_reprocessing_vouches_only_for_what_the_sender_check_held(
    world: World, settings: LazySettings
) -> None:
    settings.SLADESK_MAIL_RATE_PER_SENDER = 0
    mail = intake(build_mail(headers={"Authentication-Results": GENUINE}), checked_mailbox())
    assert "too many" in mail.reason
    again = inbound_mail_reprocess(actor=world.admin, inbound_mail_id=mail.pk)
    assert not again.sender_vouched
