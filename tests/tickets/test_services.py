"""Ticket services: registration, classification by agreement, escalation, conversation."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.conf import LazySettings
from django.utils import timezone

from sladesk.core.errors import Conflict, DomainError, NotFound, PermissionDenied
from sladesk.tickets import services
from sladesk.tickets.choices import Channel, EventKind, ProposalStatus
from sladesk.tickets.models import Severity, TicketClass, TicketEvent
from sladesk.tickets.services.conversation import safe_filename
from tests.conftest import World


def klass(world: World, code: str, scheme: str = "alpha") -> TicketClass:
    customer = world.alpha if scheme == "alpha" else world.beta
    return TicketClass.objects.get(scheme=customer.scheme, code=code)


def severity(world: World, level: int) -> Severity:
    return Severity.objects.get(ticket_class=klass(world, "C"), level=level)


def test_registration_sets_number_official_time_first_line_and_history(world: World) -> None:
    moment = dt.datetime(2026, 3, 2, 9, 15, tzinfo=dt.UTC)
    with time_machine.travel(moment, tick=False):
        ticket = world.ticket(world.alpha)
    assert re.fullmatch(r"SD-2026-\d{6}", ticket.number)
    assert ticket.registered_at == moment
    assert ticket.line == world.lines[1]
    assert ticket.channel == Channel.PORTAL
    assert ticket.requester == world.alpha.user
    assert ticket.outside_contract is False
    event = TicketEvent.objects.get(ticket=ticket)
    assert event.kind == EventKind.REGISTERED
    assert event.after["status"] == "new"


def test_numbers_count_up_per_year(world: World) -> None:
    with time_machine.travel(dt.datetime(2026, 12, 31, 12, tzinfo=dt.UTC), tick=False):
        first, second = world.ticket(world.alpha), world.ticket(world.beta)
    with time_machine.travel(dt.datetime(2027, 1, 2, 12, tzinfo=dt.UTC), tick=False):
        third = world.ticket(world.alpha)
    assert int(second.number[-6:]) == int(first.number[-6:]) + 1
    assert third.number == "SD-2027-000001"


def test_a_customer_cannot_register_for_another_organisation_or_foreign_service(
    world: World,
) -> None:
    with pytest.raises(DomainError, match="Unknown service"):
        services.ticket_register(
            actor=world.alpha.user,
            data=services.TicketRegistration(title="x", service_id=world.beta.service.pk),
        )
    ticket = services.ticket_register(
        actor=world.alpha.user,
        data=services.TicketRegistration(title="x", organisation_id=world.beta.organisation.pk),
    )
    assert ticket.organisation == world.alpha.organisation


def test_a_class_from_another_scheme_is_refused(world: World) -> None:
    with pytest.raises(DomainError, match="scheme"):
        world.ticket(world.alpha, ticket_class_id=klass(world, "1", "beta").pk)


def test_priority_comes_from_the_impact_urgency_matrix_else_the_class(world: World) -> None:
    assert world.ticket(world.alpha, ticket_class_id=klass(world, "D").pk).priority == "low"
    matrix = world.ticket(
        world.alpha, ticket_class_id=klass(world, "D").pk, impact="high", urgency="high"
    )
    assert matrix.priority == "critical"


def test_classification_happens_once_then_only_by_proposal(world: World) -> None:
    ticket = world.ticket(world.alpha)
    services.ticket_classify(
        actor=world.agent1, ticket_id=ticket.pk, ticket_class_id=klass(world, "B").pk
    )
    with pytest.raises(Conflict, match="propose"):
        services.ticket_classify(
            actor=world.agent1, ticket_id=ticket.pk, ticket_class_id=klass(world, "D").pk
        )
    with pytest.raises(PermissionDenied):
        services.ticket_classify(
            actor=world.alpha.specialist, ticket_id=ticket.pk, ticket_class_id=klass(world, "D").pk
        )


def test_an_accepted_proposal_changes_the_classification_and_history_shows_both_sides(
    world: World,
) -> None:
    ticket = world.ticket(
        world.alpha, ticket_class_id=klass(world, "C").pk, severity_id=severity(world, 2).pk
    )
    proposal = services.ticket_propose_change(
        actor=world.agent1,
        ticket_id=ticket.pk,
        change=services.ChangeRequest(
            reason="Configuration issue", ticket_class_id=klass(world, "D").pk, priority="low"
        ),
    )
    ticket.refresh_from_db()
    assert ticket.ticket_class == klass(world, "C")  # nothing changes before the customer agrees
    with pytest.raises(PermissionDenied):
        services.proposal_decide(actor=world.agent1, ticket_id=ticket.pk, accept=True)
    services.proposal_decide(
        actor=world.alpha.specialist, ticket_id=ticket.pk, accept=True, comment="Agreed"
    )
    ticket.refresh_from_db()
    proposal.refresh_from_db()
    assert (ticket.ticket_class, ticket.severity, ticket.priority) == (
        klass(world, "D"),
        None,
        "low",
    )
    assert proposal.status == ProposalStatus.ACCEPTED
    kinds = list(TicketEvent.objects.filter(ticket=ticket).values_list("kind", "field"))
    assert (EventKind.PROPOSAL_MADE, "") in kinds
    assert (EventKind.PROPOSAL_ACCEPTED, "") in kinds
    assert (EventKind.CLASSIFIED, "ticket_class_id") in kinds


def test_a_rejected_proposal_changes_nothing(world: World) -> None:
    ticket = world.ticket(world.alpha, ticket_class_id=klass(world, "B").pk)
    services.ticket_propose_change(
        actor=world.agent1,
        ticket_id=ticket.pk,
        change=services.ChangeRequest(reason="r", priority="low"),
    )
    services.proposal_decide(actor=world.alpha.user, ticket_id=ticket.pk, accept=False)
    ticket.refresh_from_db()
    assert ticket.priority == "high"
    assert TicketEvent.objects.filter(ticket=ticket, kind=EventKind.PROPOSAL_REJECTED).exists()


def test_severity_four_must_be_reclassified_to_a_or_d_before_resolution(world: World) -> None:
    ticket = world.ticket(
        world.alpha, ticket_class_id=klass(world, "C").pk, severity_id=severity(world, 4).pk
    )
    with pytest.raises(Conflict, match="reclassified"):
        services.ticket_resolve(
            actor=world.agent1, ticket_id=ticket.pk, resolution="Not our defect"
        )
    with pytest.raises(DomainError, match="A, D"):
        services.ticket_propose_change(
            actor=world.agent1,
            ticket_id=ticket.pk,
            change=services.ChangeRequest(reason="r", ticket_class_id=klass(world, "B").pk),
        )
    services.ticket_propose_change(
        actor=world.agent1,
        ticket_id=ticket.pk,
        change=services.ChangeRequest(
            reason="Usage question", ticket_class_id=klass(world, "D").pk
        ),
    )
    services.proposal_decide(actor=world.alpha.user, ticket_id=ticket.pk, accept=True)
    resolved = services.ticket_resolve(
        actor=world.agent1, ticket_id=ticket.pk, resolution="See the manual"
    )
    assert resolved.status == "resolved"


def test_escalation_respects_the_contracts_lines_and_line_four_needs_consent(
    world: World,
) -> None:
    alpha_ticket = world.ticket(world.alpha)
    with pytest.raises(Conflict, match="up to 3"):
        services.ticket_escalate(
            actor=world.lead, ticket_id=alpha_ticket.pk, line_id=world.lines[4].pk, reason="r"
        )
    beta_ticket = world.ticket(world.beta)
    with pytest.raises(Conflict, match="consent"):
        services.ticket_escalate(
            actor=world.lead, ticket_id=beta_ticket.pk, line_id=world.lines[4].pk, reason="r"
        )
    services.ticket_assign(
        actor=world.agent1, ticket_id=beta_ticket.pk, assignee_id=world.agent1.pk
    )
    escalated = services.ticket_escalate(
        actor=world.agent1, ticket_id=beta_ticket.pk, line_id=world.lines[2].pk, reason="Deeper"
    )
    assert (escalated.line, escalated.assignee) == (world.lines[2], None)
    event = TicketEvent.objects.get(ticket=beta_ticket, kind=EventKind.ESCALATED)
    assert event.data["reason"] == "Deeper"


def test_only_members_of_the_line_can_be_assigned(world: World) -> None:
    ticket = world.ticket(world.alpha)
    with pytest.raises(DomainError, match="member"):
        services.ticket_assign(actor=world.lead, ticket_id=ticket.pk, assignee_id=world.agent3.pk)
    with pytest.raises(DomainError):
        services.ticket_assign(
            actor=world.lead, ticket_id=ticket.pk, assignee_id=world.alpha.user.pk
        )


def test_first_public_vendor_reply_is_the_reaction_and_a_note_is_not(world: World) -> None:
    ticket = world.ticket(world.alpha)
    services.ticket_comment(actor=world.agent1, ticket_id=ticket.pk, body="internal", internal=True)
    ticket.refresh_from_db()
    assert ticket.first_response_at is None
    moment = timezone.now() + dt.timedelta(minutes=5)
    with time_machine.travel(moment, tick=False):
        services.ticket_comment(actor=world.agent1, ticket_id=ticket.pk, body="Hello")
    ticket.refresh_from_db()
    assert ticket.first_response_at == moment
    assert ticket.status == "in_progress"


def test_request_info_waits_and_the_customers_reply_resumes(world: World) -> None:
    ticket = world.ticket(world.alpha)
    services.ticket_request_info(actor=world.agent1, ticket_id=ticket.pk, question="Which version?")
    ticket.refresh_from_db()
    assert ticket.status == "waiting_for_customer"
    services.ticket_comment(actor=world.alpha.user, ticket_id=ticket.pk, body="5.2")
    ticket.refresh_from_db()
    assert ticket.status == "in_progress"


def test_reproduction_is_marked_once_in_a_visible_comment(world: World) -> None:
    ticket = world.ticket(world.alpha)
    services.ticket_mark_reproduced(actor=world.agent2, ticket_id=ticket.pk, note="On stand 3")
    with pytest.raises(Conflict):
        services.ticket_mark_reproduced(actor=world.agent2, ticket_id=ticket.pk, note="again")
    ticket.refresh_from_db()
    assert ticket.reproduced_at is not None
    assert ticket.comments.get(kind="system").body == "Reproduced: On stand 3"


def test_customers_confirm_or_reopen_and_closed_tickets_take_no_comments(world: World) -> None:
    ticket = world.ticket(world.alpha)
    services.ticket_resolve(actor=world.agent1, ticket_id=ticket.pk, resolution="Done")
    services.ticket_reopen(actor=world.alpha.user, ticket_id=ticket.pk, reason="Not fixed")
    services.ticket_resolve(actor=world.agent1, ticket_id=ticket.pk, resolution="Done now")
    closed = services.ticket_close(actor=world.alpha.user, ticket_id=ticket.pk)
    assert closed.status == "closed"
    assert closed.closed_at is not None
    with pytest.raises(Conflict):
        services.ticket_comment(actor=world.alpha.user, ticket_id=ticket.pk, body="late")
    with pytest.raises(Conflict):
        services.ticket_reopen(actor=world.alpha.user, ticket_id=ticket.pk, reason="again")


def test_a_customer_cannot_act_on_a_foreign_ticket(world: World) -> None:
    ticket = world.ticket(world.beta)
    with pytest.raises(NotFound):
        services.ticket_comment(actor=world.alpha.specialist, ticket_id=ticket.pk, body="hi")
    with pytest.raises(NotFound):
        services.ticket_cancel(actor=world.alpha.specialist, ticket_id=ticket.pk, reason="x")


def test_attachments_get_safe_names_sniffed_types_and_a_size_limit(
    world: World, settings: object
) -> None:
    ticket = world.ticket(world.alpha)
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
    comment = services.ticket_comment(
        actor=world.alpha.user,
        ticket_id=ticket.pk,
        body="see",
        uploads=[
            services.Upload("../../etc/passwd.exe", png),
            services.Upload("отчёт.txt", "привет".encode()),
        ],
    )
    first, second = comment.attachments.order_by("pk")
    assert (first.filename, first.content_type) == ("passwd.exe", "image/png")
    assert (second.filename, second.content_type) == ("отчёт.txt", "text/plain")
    assert first.file.read() == png
    settings.SLADESK_ATTACHMENT_MAX_BYTES = 10  # type: ignore[attr-defined]
    with pytest.raises(DomainError, match="larger than"):
        services.ticket_comment(
            actor=world.alpha.user,
            ticket_id=ticket.pk,
            body="big",
            uploads=[services.Upload("a.bin", b"x" * 11)],
        )
    assert ticket.comments.count() == 1


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("..", "attachment"),
        ("a\x00b.txt", "ab.txt"),
        ("C:\\temp\\x.doc", "x.doc"),
        (".bashrc", "bashrc"),
        ("a<b>.html", "a_b_.html"),
    ],
)
def test_safe_filename(given: str, expected: str) -> None:
    assert safe_filename(given) == expected


def test_an_upload_is_read_no_further_than_the_limit_needs(settings: LazySettings) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.SLADESK_ATTACHMENT_MAX_BYTES = 4
    upload = services.Upload.read(SimpleUploadedFile("big.bin", b"0123456789"))
    assert (upload.filename, upload.content) == ("big.bin", b"01234")  # refused when stored
