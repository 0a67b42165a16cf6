"""The workspace's problem pages: the support team registers, steps and links; customers
are told nothing exists there."""

from __future__ import annotations

from django.test import Client
from django.urls import reverse

from sladesk.problems.models import Problem
from sladesk.tickets.choices import CommentKind
from sladesk.tickets.models import Ticket
from tests.conftest import World, signed_in


def registered_on_the_page(world: World) -> tuple[Ticket, Client, Problem]:
    """A customer's ticket, line 1's browser, and the problem it registered on the page."""
    ticket = world.ticket(world.alpha)
    client = signed_in(world.agent1)
    client.post(reverse("web:problem_list"), {"title": "Blank", "tickets": ticket.number})
    return ticket, client, Problem.objects.get()


def test_an_agent_registers_a_problem_with_its_incidents_by_number(world: World) -> None:
    first, second = world.ticket(world.alpha), world.ticket(world.beta)
    client = signed_in(world.agent1)
    response = client.post(
        reverse("web:problem_list"),
        {
            "title": "Invoices blank",
            "description": "",
            "tickets": f"{first.number} {second.number.lower()}",
        },
    )
    problem = Problem.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("web:problem_detail", args=[problem.pk])
    assert sorted(problem.links.values_list("ticket_id", flat=True)) == [first.pk, second.pk]
    listing = client.get(reverse("web:problem_list")).content.decode()
    assert problem.number in listing


def test_an_unknown_ticket_number_is_a_form_error_and_nothing_is_registered(
    world: World,
) -> None:
    client = signed_in(world.agent1)
    response = client.post(
        reverse("web:problem_list"), {"title": "Half", "tickets": "SD-2020-999999"}
    )
    assert response.status_code == 200
    assert "No such ticket: SD-2020-999999" in response.content.decode()
    assert not Problem.objects.exists()


def test_the_steps_on_the_page_record_the_workaround_and_tell_the_incident(
    world: World,
) -> None:
    ticket, client, problem = registered_on_the_page(world)
    url = reverse("web:problem_detail", args=[problem.pk])
    page = client.get(url).content.decode()
    assert 'data-action="known-error"' in page
    assert 'data-action="reopen"' not in page  # only the steps the status allows
    step = reverse("web:problem_step", args=[problem.pk, "known-error"])
    assert client.post(step, {"known-error-text": ""}).status_code == 302
    problem.refresh_from_db()
    assert problem.status == "registered"  # a workaround needs its words
    client.post(step, {"known-error-text": "Reload <the> page."})
    page = client.get(url).content.decode()
    assert "Reload &lt;the&gt; page." in page
    reply = ticket.comments.get(kind=CommentKind.PUBLIC, author=None)
    assert "Reload <the> page." in reply.body
    client.post(reverse("web:problem_unlink", args=[problem.pk, ticket.pk]))
    assert not problem.links.exists()
    client.post(reverse("web:problem_link", args=[problem.pk]), {"ticket": ticket.number})
    assert problem.links.count() == 1
    again = client.post(
        reverse("web:problem_link", args=[problem.pk]), {"ticket": ticket.number}, follow=True
    )
    assert "already" in again.content.decode()


def test_customers_find_no_problem_pages(world: World) -> None:
    ticket = world.ticket(world.alpha)
    signed_in(world.agent1).post(
        reverse("web:problem_list"), {"title": "Secret cause", "tickets": ticket.number}
    )
    problem = Problem.objects.get()
    customer = signed_in(world.alpha.specialist)
    assert customer.get(reverse("web:problem_list")).status_code == 404
    assert customer.get(reverse("web:problem_detail", args=[problem.pk])).status_code == 404
    step = reverse("web:problem_step", args=[problem.pk, "close"])
    assert customer.post(step, {"close-text": "mine"}).status_code == 404
    problem.refresh_from_db()
    assert problem.status == "registered"
    assert (
        reverse("web:problem_detail", args=[problem.pk])
        not in customer.get(reverse("web:ticket_detail", args=[ticket.pk])).content.decode()
    )  # the number is shown, never a link to the workspace


def test_the_problem_pages_speak_russian(world: World) -> None:
    world.agent1.language = "ru"
    world.agent1.save()
    page = signed_in(world.agent1).get(reverse("web:problem_list")).content.decode()
    assert "Зарегистрировать проблему" in page


def test_odd_requests_on_the_problem_pages_get_a_message_or_a_404_never_a_500(
    world: World,
) -> None:
    ticket, client, problem = registered_on_the_page(world)
    assert client.get(reverse("web:problem_list") + "?status=%00").status_code == 200
    assert client.get(reverse("web:problem_list") + "?status=nonsense").status_code == 200
    assert client.get(reverse("web:problem_detail", args=[999_999])).status_code == 404
    odd = client.post(reverse("web:problem_step", args=[problem.pk, "explode"]), follow=True)
    assert "Unknown action" in odd.content.decode()
    assert client.get(reverse("web:problem_step", args=[problem.pk, "close"])).status_code == 405
    unlink = reverse("web:problem_unlink", args=[problem.pk, ticket.pk])
    client.post(unlink)
    twice = client.post(unlink, follow=True)
    assert twice.status_code == 200
    assert "not linked" in twice.content.decode()
    link = reverse("web:problem_link", args=[problem.pk])
    for typed in ("!!!", f"{ticket.number} {ticket.number}x"):
        answer = client.post(link, {"ticket": typed}, follow=True).content.decode()
        assert "Give one ticket number." in answer
    assert not problem.links.exists()


def test_the_history_says_what_changed_in_the_readers_words(world: World) -> None:
    ticket, client, problem = registered_on_the_page(world)
    client.post(
        reverse("web:problem_step", args=[problem.pk, "known-error"]),
        {"known-error-text": "Reload."},
    )
    page = client.get(reverse("web:problem_detail", args=[problem.pk])).content.decode()
    assert f"Incident linked: {ticket.number}" in page
    assert "Registered → Known error (workaround): Reload." in page
