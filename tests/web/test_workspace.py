"""The agent workspace and the customer portal through Django's test client: queues,
filters, htmx partials, bulk actions, every ticket action, phone registration, contract,
preferences, API tokens and password reset by mail."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client
from django.urls import reverse

from sladesk.accounts.models import ApiToken
from sladesk.accounts.services import api_token_authenticate
from sladesk.core.errors import InvalidToken
from sladesk.notifications.services import notifications_deliver_due
from sladesk.sla.services import sla_install_examples
from sladesk.tickets import services
from sladesk.tickets.models import ChangeProposal, Ticket
from tests.conftest import World, signed_in
from tests.factories import PASSWORD


def page(client: Client, name: str, *args: object, **query: str) -> str:
    response = client.get(reverse(name, args=args), query)
    assert response.status_code == 200
    return response.content.decode()


def act(client: Client, ticket: Ticket, action: str, **fields: object) -> Ticket:
    data = {f"{action}-{key}": value for key, value in fields.items()}
    response = client.post(reverse(f"web:ticket_{action}", args=[ticket.pk]), data)
    assert response.status_code == 302
    ticket.refresh_from_db()
    return ticket


def messages_of(client: Client, ticket: Ticket) -> str:
    return page(client, "web:ticket_detail", ticket.pk)


def test_the_unassigned_queue_holds_new_tickets_of_my_lines_sorted_by_deadline(
    world: World,
) -> None:
    first = world.ticket(world.alpha, title="first")
    second = world.ticket(world.beta, title="second")
    Ticket.objects.filter(pk=first.pk).update(sla_next_due_at="2030-01-02T10:00Z")
    Ticket.objects.filter(pk=second.pk).update(sla_next_due_at="2030-01-01T10:00Z")
    html = page(signed_in(world.agent1), "web:ticket_list", queue="unassigned")
    assert html.index(second.number) < html.index(first.number)
    assert first.number not in page(signed_in(world.agent2), "web:ticket_list", queue="unassigned")
    assert first.number not in page(signed_in(world.agent1), "web:ticket_list", queue="mine")


def test_the_queue_tabs_speak_the_agents_language(world: World) -> None:
    world.agent1.language = "ru"
    world.agent1.save(update_fields=["language"])
    html = page(signed_in(world.agent1), "web:ticket_list", queue="unassigned")
    assert "Неназначенные на моих линиях" in html
    assert "Unassigned in my lines" not in html
    switched = signed_in(world.agent1)  # the switch in the header, in this browser, wins
    switched.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert "Unassigned in my lines" in page(switched, "web:ticket_list", queue="unassigned")


def test_queues_filter_by_state_organisation_and_text(world: World) -> None:
    alpha = world.ticket(world.alpha, title="Printer on fire")
    beta = world.ticket(world.beta, title="Slow reports")
    Ticket.objects.filter(pk=beta.pk).update(sla_state="breached")
    client = signed_in(world.agent1)
    assert beta.number in page(client, "web:ticket_list", queue="breached")
    assert alpha.number not in page(client, "web:ticket_list", queue="breached")
    only_alpha = page(
        client, "web:ticket_list", queue="all", organisation=str(world.alpha.organisation.pk)
    )
    assert alpha.number in only_alpha
    assert beta.number not in only_alpha
    assert beta.number in page(client, "web:ticket_list", queue="all", q="slow")
    services.ticket_request_info(actor=world.agent1, ticket_id=alpha.pk, question="Logs?")
    waiting = page(client, "web:ticket_list", queue="waiting")
    assert alpha.number in waiting
    assert beta.number not in waiting


def test_the_queue_tabs_count_the_open_tickets_of_each_queue(world: World) -> None:
    mine = world.ticket(world.alpha)
    services.ticket_assign(actor=world.agent1, ticket_id=mine.pk, assignee_id=world.agent1.pk)
    unassigned = world.ticket(world.alpha)
    breached = world.ticket(world.beta)
    Ticket.objects.filter(pk=breached.pk).update(sla_state="breached")
    services.ticket_request_info(actor=world.agent1, ticket_id=unassigned.pk, question="Logs?")
    closed = world.ticket(world.beta)
    Ticket.objects.filter(pk=closed.pk).update(status="closed", sla_state="breached")
    html = page(signed_in(world.agent1), "web:ticket_list")
    counts = dict(re.findall(r'data-queue="(\w+)"[^>]*>[^<]*<span class="count">(\d+)<', html))
    assert counts == {
        "mine": "1",
        "unassigned": "2",
        "attention": "0",
        "at_risk": "0",
        "breached": "1",
        "waiting": "1",
        "open": "3",
    }


def test_the_chosen_filters_stay_chosen_and_labels_are_escaped(world: World) -> None:
    world.alpha.organisation.name = "Alpha <b>&</b>"
    world.alpha.organisation.save(update_fields=["name"])
    html = page(
        signed_in(world.agent1),
        "web:ticket_list",
        organisation=str(world.alpha.organisation.pk),
        status="in_progress",
    )
    assert f'<option value="{world.alpha.organisation.pk}" selected>Alpha &lt;b&gt;&amp;' in html
    assert '<option value="in_progress" selected>' in html
    assert '<option value="" selected>' in html  # the filters not chosen say "Any"
    assert "<b>&</b>" not in html


def test_the_rows_show_labels_in_the_agents_language(world: World) -> None:
    world.ticket(world.alpha)
    world.agent1.language = "ru"
    world.agent1.save(update_fields=["language"])
    html = page(signed_in(world.agent1), "web:ticket_list")
    assert '<span class="status status-new">Новая</span>' in html
    english = page(signed_in(world.agent2), "web:ticket_list")
    assert '<span class="status status-new">New</span>' in english


def test_an_unknown_filter_value_is_ignored_not_an_error(world: World) -> None:
    ticket = world.ticket(world.alpha)
    html = page(signed_in(world.agent1), "web:ticket_list", queue="all", status="bogus", line="x")
    assert ticket.number in html


def test_htmx_gets_the_queue_table_alone(world: World) -> None:
    ticket = world.ticket(world.alpha)
    client = signed_in(world.agent1)
    response = client.get(
        reverse("web:ticket_list"), {"queue": "all"}, headers={"HX-Request": "true"}
    )
    html = response.content.decode()
    assert html.startswith('<div id="queue"')
    assert ticket.number in html
    assert "<html" not in html


def test_bulk_assignment_and_resolution(world: World) -> None:
    tickets = [world.ticket(world.alpha) for _ in range(3)]
    client = signed_in(world.agent1)
    ids = [t.pk for t in tickets]
    client.post(
        reverse("web:ticket_bulk"),
        {"tickets": ids, "operation": "assign", "assignee": world.agent1.pk},
    )
    assert set(Ticket.objects.values_list("assignee_id", flat=True)) == {world.agent1.pk}
    response = client.post(
        reverse("web:ticket_bulk"),
        {
            "tickets": ids[:2],
            "operation": "resolve",
            "text": "Fixed in 2.1",
            "next": "/tickets/?queue=all",
        },
    )
    assert response["Location"] == "/tickets/?queue=all"
    assert sorted(Ticket.objects.values_list("status", flat=True)) == [
        "in_progress",
        "resolved",
        "resolved",
    ]


def test_bulk_refuses_what_a_single_action_refuses_and_says_why(world: World) -> None:
    ticket = world.ticket(world.alpha)
    client = signed_in(world.agent1)
    response = client.post(
        reverse("web:ticket_bulk"),
        {"tickets": [ticket.pk], "operation": "close", "text": ""},
        follow=True,
    )
    assert "not possible" in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.status == "new"


def test_customers_have_no_bulk_actions(world: World) -> None:
    ticket = world.ticket(world.alpha)
    response = signed_in(world.alpha.specialist).post(
        reverse("web:ticket_bulk"), {"tickets": [ticket.pk], "operation": "cancel", "text": "x"}
    )
    assert response.status_code == 404


def test_an_agent_works_a_ticket_through_every_action(world: World) -> None:
    ticket = world.ticket(world.alpha, title="Export fails")
    parent = world.ticket(world.alpha, title="Parent problem")
    agent = signed_in(world.agent1)
    scheme_classes = list(world.alpha.scheme.classes.order_by("position"))
    class_c = next(c for c in scheme_classes if c.code == "C")
    class_d = next(c for c in scheme_classes if c.code == "D")
    html = messages_of(agent, ticket)
    for action in ("request_info", "escalate", "resolve", "classify", "assign", "reproduce"):
        assert f'data-action="{action}"' in html
    assert act(agent, ticket, "assign", assignee=world.agent1.pk).assignee == world.agent1
    assert (
        act(agent, ticket, "classify", ticket_class=class_c.pk, impact="high").ticket_class
        == class_c
    )
    act(agent, ticket, "propose", ticket_class=class_d.pk, reason="A usage question")
    assert ChangeProposal.objects.get(ticket=ticket).status == "pending"
    assert act(agent, ticket, "reproduce", note="On the test stand").reproduced_at is not None
    act(agent, ticket, "watch", person=world.lead.pk, watching="1")
    assert list(ticket.watchers.all()) == [world.lead]
    assert act(agent, ticket, "parent", parent=parent.number).parent == parent
    assert act(agent, ticket, "request_info", question="Which version?").status == (
        "waiting_for_customer"
    )
    signed_in(world.alpha.user).post(
        reverse("web:ticket_comment", args=[ticket.pk]), {"body": "Version 2.0"}
    )
    escalated = act(agent, ticket, "escalate", line=world.lines[2].pk, reason="Needs analysis")
    assert escalated.line == world.lines[2]
    assert escalated.assignee is None
    line2 = signed_in(world.agent2)
    assert act(line2, ticket, "resolve", resolution="Patched").status == "resolved"
    assert act(line2, ticket, "reopen", reason="Still broken").status == "in_progress"
    assert act(line2, ticket, "resolve", resolution="Patched again").status == "resolved"
    assert act(line2, ticket, "close", comment="").status == "closed"
    history = messages_of(line2, ticket)
    assert "Status: Resolved → Closed" in history
    assert "Priority: " in history
    assert "_id" not in history.split('class="events"')[1]


def test_a_refused_action_is_a_message_on_the_page_not_an_error(world: World) -> None:
    ticket = world.ticket(world.beta)
    agent = signed_in(world.agent1)
    act(agent, ticket, "escalate", line=world.lines[3].pk, reason="Vendor bug")
    html = messages_of(agent, ticket)
    assert "skipping a line needs a lead" in html
    ticket.refresh_from_db()
    assert ticket.line == world.lines[1]
    empty = act(agent, ticket, "resolve", resolution="")
    assert empty.status != "resolved"


def test_a_customer_decides_a_proposal_and_confirms_the_resolution(world: World) -> None:
    ticket = world.ticket(world.alpha)
    classes = {c.code: c for c in world.alpha.scheme.classes.all()}
    services.ticket_classify(
        actor=world.agent1, ticket_id=ticket.pk, ticket_class_id=classes["C"].pk
    )
    services.ticket_propose_change(
        actor=world.agent1,
        ticket_id=ticket.pk,
        change=services.ChangeRequest(reason="Not a defect", ticket_class_id=classes["D"].pk),
    )
    customer = signed_in(world.alpha.user)
    html = messages_of(customer, ticket)
    assert 'data-action="accept"' in html
    assert 'data-action="escalate"' not in html
    assert act(customer, ticket, "accept", comment="ok").ticket_class == classes["D"]
    services.ticket_resolve(actor=world.agent1, ticket_id=ticket.pk, resolution="See the manual")
    assert 'data-action="close"' in messages_of(customer, ticket)
    assert act(customer, ticket, "close", comment="Thanks").status == "closed"


def test_a_customer_cannot_take_agent_actions(world: World) -> None:
    ticket = world.ticket(world.alpha)
    customer = signed_in(world.alpha.user)
    act(customer, ticket, "escalate", line=world.lines[2].pk, reason="hurry")
    assert ticket.line == world.lines[1]
    assert "support team" in messages_of(customer, ticket)


def test_an_agent_registers_a_phone_call_on_the_customers_behalf(world: World) -> None:
    agent = signed_in(world.agent1)
    assert "channel: phone" in page(agent, "web:ticket_new")
    response = agent.post(
        reverse("web:ticket_new"),
        {
            "organisation": world.beta.organisation.pk,
            "requester": world.beta.user.pk,
            "contact": "+7 900 000-00-00",
            "service": world.beta.service.pk,
            "title": "Called: cannot log in",
        },
    )
    ticket = Ticket.objects.get(title="Called: cannot log in")
    assert response["Location"] == reverse("web:ticket_detail", args=[ticket.pk])
    assert (ticket.channel, ticket.organisation, ticket.requester) == (
        "phone",
        world.beta.organisation,
        world.beta.user,
    )


def test_a_requester_of_another_organisation_is_a_form_error(world: World) -> None:
    response = signed_in(world.agent1).post(
        reverse("web:ticket_new"),
        {
            "organisation": world.beta.organisation.pk,
            "requester": world.alpha.user.pk,
            "title": "x",
        },
    )
    assert response.status_code == 200
    assert "must belong to the organisation" in response.content.decode()
    assert not Ticket.objects.exists()


def test_a_customer_registers_with_a_file(world: World) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = signed_in(world.alpha.user)
    client.post(
        reverse("web:ticket_new"),
        {"title": "With a log", "attachments": [SimpleUploadedFile("app.log", b"trace")]},
    )
    ticket = Ticket.objects.get(title="With a log")
    assert "app.log" in messages_of(client, ticket)


def test_the_contract_page_shows_term_lines_targets_and_accounts(world: World) -> None:
    policies = sla_install_examples()
    contract = world.alpha.contract
    contract.sla_policy = next(iter(policies.values()))
    contract.max_accounts = 5
    contract.save()
    html = page(signed_in(world.alpha.user), "web:contract")
    assert contract.number in html
    assert "Lines 1 to 3" in html
    assert "2 of 5 in use, 3 remaining" in html
    assert "business hours" in html or "working day" in html
    assert signed_in(world.agent1).get(reverse("web:contract")).status_code == 404


def test_preferences_set_language_and_time_zone(world: World) -> None:
    client = signed_in(world.alpha.user)
    response = client.post(reverse("web:account"), {"language": "ru", "time_zone": "Asia/Tokyo"})
    assert response.status_code == 302
    world.alpha.user.refresh_from_db()
    assert (world.alpha.user.language, world.alpha.user.time_zone) == ("ru", "Asia/Tokyo")
    html = page(client, "web:account")
    assert '<option value="Asia/Tokyo" selected>Asia/Tokyo</option>' in html
    assert '<option value="Europe/Moscow" selected>' not in html
    bad = client.post(reverse("web:account"), {"language": "ru", "time_zone": "Mars/Base"})
    assert bad.status_code == 200


def test_an_api_token_is_shown_once_and_can_be_revoked(world: World) -> None:
    client = signed_in(world.agent1)
    html = client.post(
        reverse("web:token_create"), {"name": "ci", "scope": "read"}
    ).content.decode()
    raw = re.search(r'value="(sld_[^"]+)" data-token', html)
    assert raw is not None
    assert api_token_authenticate(raw.group(1)).user == world.agent1
    assert raw.group(1) not in page(client, "web:account")
    token = ApiToken.objects.get(user=world.agent1)
    client.post(reverse("web:token_revoke"), {"token": token.pk})
    with pytest.raises(InvalidToken):
        api_token_authenticate(raw.group(1))
    other = signed_in(world.agent2).post(reverse("web:token_revoke"), {"token": token.pk})
    assert other.status_code == 404


def test_an_agent_cannot_mint_an_admin_token(world: World) -> None:
    html = (
        signed_in(world.agent1)
        .post(reverse("web:token_create"), {"name": "x", "scope": "admin"})
        .content.decode()
    )
    assert "Only administrators" in html
    assert not ApiToken.objects.exists()


def test_password_reset_by_mail(world: World) -> None:
    client = Client()
    client.post(reverse("web:password_reset"), {"email": world.alpha.user.email})
    notifications_deliver_due()  # the worker sends it from the outbox
    assert len(mail.outbox) == 1
    link = re.search(r"http://testserver(/password-reset/\S+/)", mail.outbox[0].body)
    assert link is not None
    form = client.get(link.group(1), follow=True)
    assert form.status_code == 200
    client.post(
        form.redirect_chain[-1][0],
        {"new_password1": "a-new-long-password-9", "new_password2": "a-new-long-password-9"},
    )
    assert Client().login(username=world.alpha.user.email, password="a-new-long-password-9")
    assert not Client().login(username=world.alpha.user.email, password=PASSWORD)


def test_a_customer_cancels_their_own_open_ticket(world: World) -> None:
    ticket = world.ticket(world.alpha)
    customer = signed_in(world.alpha.user)
    assert 'data-action="cancel"' in messages_of(customer, ticket)
    assert act(customer, ticket, "cancel", reason="Registered twice").status == "cancelled"
    assert 'data-action="cancel"' not in messages_of(customer, ticket)


def test_the_portal_lists_only_the_organisations_tickets_with_its_own_filters(
    world: World,
) -> None:
    own = world.ticket(world.alpha, title="Own printer")
    foreign = world.ticket(world.beta, title="Foreign printer")
    html = page(signed_in(world.alpha.specialist), "web:ticket_list", q="printer")
    assert own.number in html
    assert foreign.number not in html
    assert 'name="organisation"' not in html
    assert 'id="bulk"' not in html
    assert world.beta.service.name not in html


def test_the_customer_does_not_see_the_internal_reason_of_an_escalation(world: World) -> None:
    ticket = world.ticket(world.alpha)
    services.ticket_escalate(
        actor=world.agent1, ticket_id=ticket.pk, line_id=world.lines[2].pk, reason="Agent is stuck"
    )
    assert "Agent is stuck" not in messages_of(signed_in(world.alpha.user), ticket)
    assert "Agent is stuck" in messages_of(signed_in(world.agent1), ticket)


def test_a_whole_ticket_number_finds_that_ticket_whatever_its_case(world: World) -> None:
    wanted = world.ticket(world.alpha, title="wanted")
    other = world.ticket(world.alpha, title=f"mentions {wanted.number}")
    html = page(signed_in(world.agent1), "web:ticket_list", q=wanted.number.lower())
    assert f'data-ticket="{wanted.number}"' in html
    assert f'data-ticket="{other.number}"' not in html
    partial = page(signed_in(world.agent1), "web:ticket_list", q=wanted.number[-6:])
    assert f'data-ticket="{wanted.number}"' in partial


def test_only_the_actions_the_status_allows_are_offered(world: World) -> None:
    ticket = world.ticket(world.alpha, title="Offered")
    agent = signed_in(world.agent1)
    services.ticket_resolve(actor=world.agent1, ticket_id=ticket.pk, resolution="Done")
    html = messages_of(agent, ticket)
    for offered in ("close", "reopen", "watch", "parent"):
        assert f'data-action="{offered}"' in html
    for hidden in ("resolve", "escalate", "request_info", "assign", "cancel", "take"):
        assert f'data-action="{hidden}"' not in html
    services.ticket_close(actor=world.agent1, ticket_id=ticket.pk, comment="")
    html = messages_of(agent, ticket)
    for hidden in ("close", "reopen", "resolve", "cancel"):
        assert f'data-action="{hidden}"' not in html
