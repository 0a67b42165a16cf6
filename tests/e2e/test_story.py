"""The desk's central story in a real browser, in English and in Russian: a customer
registers a ticket -> an agent sees it in the line-1 queue with its SLA badge -> asks for
information -> the customer replies -> the agent escalates to line 2 -> a line-2 agent
resolves -> the customer confirms. Screenshots of each step go to test-artifacts/."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from sladesk.sla.services import sla_install_examples
from sladesk.tickets.models import Ticket
from tests.conftest import World
from tests.factories import PASSWORD

# What the page must say in each language: labels of the shipped catalogue.
LABELS = {
    "en": {
        "tickets": "Tickets",
        "closed": "Closed",
        "waiting": "Waiting for customer",
        "service_level": "Service level",
        "send": "Send",
        "on_track": "On track",
    },
    "ru": {
        "tickets": "Заявки",
        "closed": "Закрыта",
        "waiting": "Ожидает заказчика",
        "service_level": "Уровень сервиса",
        "send": "Отправить",
        "on_track": "В срок",  # noqa: RUF001  # Russian text, Cyrillic on purpose
    },
}


class Actor:
    """One person's browser session."""

    def __init__(self, browser: Any, base: str, language: str, folder: Path, who: str) -> None:
        self.context = browser.new_context(
            locale="ru-RU" if language == "ru" else "en-US",
            viewport={"width": 1280, "height": 900},
        )
        self.context.set_default_timeout(15_000)
        self.page: Page = self.context.new_page()
        # What the Content-Security-Policy blocked: nothing may be (no inline script).
        self.blocked: list[str] = []
        self.page.on(
            "console",
            lambda message: (
                self.blocked.append(message.text)
                if "Content Security Policy" in message.text
                else None
            ),
        )
        self.base, self.folder, self.who = base, folder, who
        self.step = 0

    def sign_in(self, email: str) -> None:
        self.page.goto(f"{self.base}/login/")
        self.page.fill("#id_username", email)
        self.page.fill("#id_password", PASSWORD)
        self.page.click("button[type=submit].primary")
        expect(self.page.locator(".who")).to_be_visible()

    def shot(self, name: str, counter: list[int]) -> None:
        counter[0] += 1
        self.page.screenshot(
            path=str(self.folder / f"{counter[0]:02d}-{self.who}-{name}.png"), full_page=True
        )

    def act(self, ticket_id: int, action: str, **fields: str) -> None:
        """Open the action's panel on the ticket page, fill it in and submit it."""
        self.page.goto(f"{self.base}/tickets/{ticket_id}/")
        panel = self.page.locator(f"#action-{action}")
        panel.locator("summary").click()
        for name, value in fields.items():
            field = panel.locator(f"[name='{action}-{name}']")
            if field.evaluate("e => e.tagName") == "SELECT":
                field.select_option(label=value)
            else:
                field.fill(value)
        panel.locator(f"button[data-action='{action}']").click()
        expect(self.page.locator(".messages .success")).to_be_visible()

    def close(self) -> None:
        self.context.close()


@pytest.mark.parametrize("language", ["en", "ru"])
def test_the_support_story_from_registration_to_confirmation(
    story_clock: None,
    live_server: Any,
    world: World,
    browser: Any,
    artifacts: Path,
    language: str,
) -> None:
    labels = LABELS[language]
    for person in (world.alpha.user, world.agent1, world.agent2):
        person.language = language  # the interface speaks each person's saved language
        person.save(update_fields=["language"])
    policies = sla_install_examples()
    world.alpha.contract.sla_policy = policies["moscow-categories"]
    world.alpha.contract.save()
    base = live_server.url
    counter = [0]
    customer = Actor(browser, base, language, artifacts, "customer")
    agent1 = Actor(browser, base, language, artifacts, "agent1")
    agent2 = Actor(browser, base, language, artifacts, "agent2")

    # The customer registers a ticket in the portal.
    customer.sign_in(world.alpha.user.email)
    expect(customer.page.locator("nav[aria-label] a").first).to_have_text(labels["tickets"])
    customer.page.click("a[href='/tickets/new/']")
    customer.page.fill("#id_title", "Invoices do not export")
    customer.page.fill("#id_description", "The export button does nothing since this morning.")
    customer.page.select_option("#id_service", label=world.alpha.service.name)
    customer.page.select_option(
        "#id_ticket_class", label=str(world.alpha.scheme.classes.get(code="D"))
    )
    customer.shot("new-ticket", counter)
    customer.page.click("button[data-action=register]")
    number = customer.page.locator("h1 .number").inner_text()
    ticket = Ticket.objects.get(number=number)
    expect(customer.page.locator("#sla-heading")).to_have_text(labels["service_level"])
    customer.shot("registered", counter)

    # Line 1 sees it in the queue of its lines, with the SLA badge; the filter narrows the
    # table without a full reload (htmx).
    agent1.sign_in(world.agent1.email)
    agent1.page.click("a[data-queue=unassigned]")
    row = agent1.page.locator(f"tr[data-ticket='{number}']")
    expect(row).to_be_visible()
    expect(row.locator(".sla")).to_contain_text(labels["on_track"])
    agent1.page.wait_for_load_state("load")  # deferred scripts have run by then
    assert agent1.page.evaluate("typeof window.htmx") == "object"  # vendored, no CDN
    agent1.page.evaluate("document.body.dataset.marker = 'kept'")
    agent1.page.fill("#id_q", "no such ticket anywhere")
    expect(row).to_have_count(0)
    agent1.page.fill("#id_q", number)
    expect(row).to_be_visible()
    assert agent1.page.evaluate("document.body.dataset.marker") == "kept"  # no reload
    agent1.shot("queue-with-sla-badge", counter)

    # Line 1 asks for information.
    agent1.act(ticket.pk, "request_info", question="Which version do you run?")
    expect(agent1.page.locator("[data-status]")).to_have_text(labels["waiting"])
    agent1.shot("information-requested", counter)

    # The customer replies.
    customer.page.goto(f"{base}/tickets/{ticket.pk}/")
    expect(customer.page.locator(".comments")).to_contain_text("Which version do you run?")
    customer.page.fill("#id_body", "Version 4.2, on Windows.")
    send = customer.page.locator("button[data-action=comment]")
    expect(send).to_have_text(labels["send"])
    send.click()
    expect(customer.page.locator("[data-status=in_progress]")).to_be_visible()
    customer.shot("replied", counter)

    # Line 1 escalates to line 2 with a reason.
    agent1.act(ticket.pk, "escalate", line=str(world.lines[2]), reason="Needs analysis")
    expect(agent1.page.locator("[data-line]")).to_have_attribute("data-line", "2")
    agent1.shot("escalated", counter)

    # Line 2 takes it and resolves it.
    agent2.sign_in(world.agent2.email)
    agent2.page.click("a[data-queue=unassigned]")
    agent2.page.click(f"tr[data-ticket='{number}'] a")
    agent2.page.click("button[data-action=take]")
    agent2.act(ticket.pk, "resolve", resolution="Fixed the export template; please check.")
    expect(agent2.page.locator("[data-status=resolved]")).to_be_visible()
    agent2.shot("resolved", counter)

    # The customer confirms.
    customer.page.goto(f"{base}/tickets/{ticket.pk}/")
    customer.page.fill("[name='close-comment']", "Works now, thank you.")
    customer.page.click("button[data-action=close]")
    expect(customer.page.locator("[data-status]")).to_have_text(labels["closed"])
    customer.shot("confirmed", counter)

    ticket.refresh_from_db()
    assert (ticket.status, ticket.line, ticket.assignee) == (
        "closed",
        world.lines[2],
        world.agent2,
    )
    assert customer.page.locator("html").get_attribute("lang") == language
    # The language switch submits itself (a script of the desk's, not an inline one).
    other = "ru" if language == "en" else "en"
    customer.page.select_option("#language", other)
    expect(customer.page.locator("html")).to_have_attribute("lang", other)
    for actor in (customer, agent1, agent2):
        assert actor.blocked == [], actor.blocked
        actor.close()


def test_a_customer_gets_404_for_another_organisations_ticket(
    live_server: Any, world: World, browser: Any, artifacts: Path
) -> None:
    foreign = world.ticket(world.beta, title="Beta's confidential outage")
    customer = Actor(browser, live_server.url, "en", artifacts, "alpha")
    customer.sign_in(world.alpha.specialist.email)
    response = customer.page.goto(f"{live_server.url}/tickets/{foreign.pk}/")
    assert response is not None
    assert response.status == 404
    assert "confidential" not in customer.page.content()
    expect(customer.page.locator("h1")).to_have_text("Not found")
    customer.shot("foreign-ticket-404", [0])
    customer.close()


UNLABELLED_FIELDS = """() => [...document.querySelectorAll('input, select, textarea')]
    .filter(e => e.type !== 'hidden' && !e.labels.length && !e.getAttribute('aria-label'))
    .map(e => e.name || e.id)"""


def test_the_workspace_is_keyboard_friendly_and_every_field_has_a_label(
    live_server: Any, world: World, browser: Any, artifacts: Path
) -> None:
    ticket = world.ticket(world.alpha, title="Keyboard check")
    agent = Actor(browser, live_server.url, "en", artifacts, "agent1")
    agent.sign_in(world.agent1.email)
    agent.page.goto(f"{live_server.url}/tickets/?queue=all")
    agent.page.keyboard.press("Tab")
    assert agent.page.evaluate("document.activeElement.className") == "skip"
    agent.page.keyboard.press("Enter")
    assert agent.page.evaluate("document.activeElement.id") == "content"
    assert agent.page.evaluate(UNLABELLED_FIELDS) == []
    agent.page.goto(f"{live_server.url}/tickets/{ticket.pk}/")
    assert agent.page.evaluate(UNLABELLED_FIELDS) == []
    panel = agent.page.locator("#action-escalate")
    panel.locator("summary").focus()
    agent.page.keyboard.press("Enter")
    expect(panel.locator("[name='escalate-reason']")).to_be_visible()
    agent.page.set_viewport_size({"width": 390, "height": 844})  # a phone
    assert agent.page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    agent.shot("ticket-on-a-phone", [0])
    agent.close()
