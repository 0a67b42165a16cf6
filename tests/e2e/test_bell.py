"""The bell in a real browser: the customer registers a ticket in the portal, an agent
replies in the workspace, and the customer's bell shows it without a reload; the list
names the reply in the customer's language and leads to the ticket."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from sladesk.tickets import services
from sladesk.tickets.models import Ticket
from tests.conftest import World
from tests.e2e.test_story import Actor

UNREAD = {"en": "unread", "ru": "непрочитан"}
REPLY = {"en": "Public reply", "ru": "Ответ"}


@pytest.mark.parametrize("language", ["en", "ru"])
def test_the_customers_bell_shows_the_agents_reply_without_a_reload(
    story_clock: None,
    live_server: Any,
    world: World,
    browser: Any,
    artifacts: Path,
    language: str,
) -> None:
    world.alpha.user.language = language
    world.alpha.user.save(update_fields=["language"])
    counter = [0]
    customer = Actor(browser, live_server.url, language, artifacts, "customer")
    customer.sign_in(world.alpha.user.email)
    customer.page.click("a[href='/tickets/new/']")
    customer.page.fill("#id_title", "Invoices do not export")
    customer.page.select_option("#id_service", label=world.alpha.service.name)
    customer.page.click("button[data-action=register]")
    number = customer.page.locator("h1 .number").inner_text()
    ticket = Ticket.objects.get(number=number)
    # Opening the ticket reads what is about it: the acknowledgement counts no more.
    customer.page.reload()
    bell = customer.page.locator("#bell")
    expect(bell.locator(".count")).to_have_count(0)
    customer.page.evaluate("document.body.dataset.marker = 'kept'")

    services.ticket_comment(
        actor=world.agent1, ticket_id=ticket.pk, body="We are on it; which version is it?"
    )

    expect(bell.locator(".count")).to_contain_text(UNREAD[language], timeout=40_000)
    assert customer.page.evaluate("document.body.dataset.marker") == "kept"  # no reload
    customer.shot("bell-unread", counter)
    bell.click()
    item = customer.page.locator("ul.notifications li.unread").first
    expect(item).to_contain_text(number)
    expect(item).to_contain_text(REPLY[language])
    customer.shot("notification-list", counter)
    item.locator("button").click()
    expect(customer.page.locator("h1 .number")).to_have_text(number)
    expect(customer.page.locator(".comments")).to_contain_text("which version is it?")
    expect(customer.page.locator("#bell .count")).to_have_count(0)
    assert not customer.blocked
    customer.close()
