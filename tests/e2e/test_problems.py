"""Problem management in a real browser: line 1 registers a problem behind a customer's
incident from the workspace, records the workaround, and the customer reads it on the
ticket page."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from sladesk.problems.models import Problem
from tests.conftest import World
from tests.e2e.test_story import Actor


def test_a_workaround_recorded_on_a_problem_reaches_the_customers_ticket(
    story_clock: None, live_server: Any, world: World, browser: Any, artifacts: Path
) -> None:
    ticket = world.ticket(world.alpha, title="Invoices do not export")
    counter = [0]
    agent = Actor(browser, live_server.url, "en", artifacts, "agent1")
    agent.sign_in(world.agent1.email)
    agent.page.click("nav a[href='/problems/']")
    agent.page.fill("#id_title", "Export fails for large invoices")
    agent.page.fill("#id_tickets", ticket.number)
    agent.page.click("button[data-action=register-problem]")
    expect(agent.page.locator(".messages .success")).to_be_visible()
    problem = Problem.objects.get()
    expect(agent.page.locator("h1")).to_contain_text(problem.number)
    expect(agent.page.locator(".incidents")).to_contain_text(ticket.number)
    agent.page.fill("#text-known-error", "Export in batches of 100 until the fix ships.")
    agent.page.click("button[data-action=known-error]")
    expect(agent.page.locator("[data-status]").first).to_have_attribute(
        "data-status", "known_error"
    )
    expect(agent.page.locator(".workaround")).to_contain_text("batches of 100")
    agent.shot("known-error", counter)

    customer = Actor(browser, live_server.url, "en", artifacts, "customer")
    customer.sign_in(world.alpha.user.email)
    customer.page.goto(f"{live_server.url}/tickets/{ticket.pk}/")
    known = customer.page.locator("section.problems")
    expect(known).to_contain_text(problem.number)
    expect(known).to_contain_text("Export in batches of 100")
    expect(customer.page.locator(".comments")).to_contain_text("A workaround is known")
    assert customer.page.locator(f"a[href='/problems/{problem.pk}/']").count() == 0
    customer.shot("ticket-with-workaround", counter)
    agent.close()
    customer.close()
