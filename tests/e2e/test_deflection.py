"""Deflection at line 0 in a real browser: while a customer writes a new ticket, the help
centre's matching article appears under the title; "This answered my question" ends there,
with a deflection counted and no ticket; "I still need help" keeps what was written."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from sladesk.knowledge.choices import ArticleStatus, Audience
from sladesk.knowledge.models import Article, Deflection
from sladesk.knowledge.services import ArticleDraft, article_create
from sladesk.tickets.models import Ticket
from tests.conftest import World
from tests.e2e.test_story import Actor

CASES = {
    "en": {
        "title": "Printer does not print",
        "body": "Check the print queue and restart the spooler.",
        "typed": "My printer does not print documents",
        "details": "Since this morning nothing comes out of it.",
    },
    "ru": {
        "title": "Принтер не печатает",
        "body": "Проверьте очередь печати и перезапустите службу.",
        "typed": "принтер не печатает документы",
        "details": "Ничего не выходит уже второй день.",
    },
}


def publish(world: World, title: str, body: str, language: str, **fields: Any) -> Article:
    return article_create(
        actor=world.agent1,
        draft=ArticleDraft(
            title=title,
            body=body,
            language=language,
            status=ArticleStatus.PUBLISHED,
            audience=fields.pop("audience", Audience.CUSTOMERS),
            **fields,
        ),
    )


@pytest.mark.parametrize("language", ["en", "ru"])
def test_a_customer_finds_the_answer_while_writing_and_registers_no_ticket(
    story_clock: None,
    live_server: Any,
    world: World,
    browser: Any,
    artifacts: Path,
    language: str,
) -> None:
    case = CASES[language]
    answer = publish(world, case["title"], case["body"], language)
    hidden = publish(
        world, f"{case['title']} (runbook)", case["body"], language, audience=Audience.INTERNAL
    )
    customer_user = world.alpha.user
    customer_user.language = language
    customer_user.save(update_fields=["language"])
    counter = [0]
    customer = Actor(browser, live_server.url, language, artifacts, "customer")
    customer.sign_in(customer_user.email)
    customer.page.goto(f"{live_server.url}/tickets/new/")
    customer.page.locator("#id_title").press_sequentially(case["typed"])
    customer.page.locator("#id_description").fill(case["details"])
    suggestion = customer.page.locator(f"#suggestions [data-article='{answer.pk}']")
    expect(suggestion).to_be_visible()
    expect(suggestion.locator("a")).to_have_text(case["title"])
    expect(suggestion.locator(".snippet")).to_contain_text(case["body"][:12])
    assert customer.page.locator(f"#suggestions [data-article='{hidden.pk}']").count() == 0
    customer.shot("suggestion", counter)

    suggestion.locator("button[data-action=deflect]").click()
    expect(customer.page.locator(f"[data-deflected='{answer.pk}']")).to_be_visible()
    customer.shot("answered", counter)
    assert customer.blocked == []
    customer.close()

    assert not Ticket.objects.exists()
    answer.refresh_from_db()
    assert answer.deflections == 1
    deflection = Deflection.objects.get()
    assert (deflection.article_id, deflection.user_id, deflection.organisation_id) == (
        answer.pk,
        customer_user.pk,
        world.alpha.organisation.pk,
    )
    assert deflection.text == f"{case['typed']}\n\n{case['details']}"


def test_i_still_need_help_hides_the_suggestions_and_keeps_the_draft(
    story_clock: None, live_server: Any, world: World, browser: Any, artifacts: Path
) -> None:
    case = CASES["en"]
    answer = publish(world, case["title"], case["body"], "en")
    counter = [0]
    customer = Actor(browser, live_server.url, "en", artifacts, "customer")
    customer.sign_in(world.alpha.user.email)
    customer.page.goto(f"{live_server.url}/tickets/new/")
    customer.page.locator("#id_title").press_sequentially(case["typed"])
    customer.page.locator("#id_description").fill(case["details"])
    expect(customer.page.locator(f"#suggestions [data-article='{answer.pk}']")).to_be_visible()
    customer.shot("suggestion", counter)

    customer.page.click("button[data-action=still-need-help]")
    expect(customer.page.locator("#suggestions[data-dismissed]")).to_be_attached()
    expect(customer.page.locator("#suggestions")).to_be_hidden()
    expect(customer.page.locator("#id_title")).to_have_value(case["typed"])
    expect(customer.page.locator("#id_description")).to_have_value(case["details"])
    customer.page.select_option("#id_service", label=world.alpha.service.name)
    customer.shot("dismissed", counter)

    customer.page.click("button[data-action=register]")
    expect(customer.page.locator(".messages .success")).to_be_visible()
    customer.shot("registered", counter)
    assert customer.blocked == []
    customer.close()

    ticket = Ticket.objects.get()
    assert (ticket.title, ticket.description) == (case["typed"], case["details"])
    assert not Deflection.objects.exists()
    answer.refresh_from_db()
    assert answer.deflections == 0


def test_someone_signed_out_searches_the_help_centre_and_votes(
    story_clock: None, live_server: Any, world: World, browser: Any, artifacts: Path
) -> None:
    case = CASES["en"]
    public = publish(world, case["title"], case["body"], "en", audience=Audience.PUBLIC)
    for_customers = publish(world, "Printer drivers for customers", case["body"], "en")
    counter = [0]
    visitor = Actor(browser, live_server.url, "en", artifacts, "visitor")
    visitor.page.goto(f"{live_server.url}/help/")
    expect(visitor.page.locator(f".popular [data-article='{public.pk}']")).to_be_visible()
    visitor.page.fill("#help-q", "print queue")
    visitor.page.click("button[data-action=help-search]")
    result = visitor.page.locator(f".results [data-article='{public.pk}']")
    expect(result.locator("mark").first).to_be_visible()
    assert visitor.page.locator(f"[data-article='{for_customers.pk}']").count() == 0
    visitor.shot("search", counter)

    result.locator("a").click()
    expect(visitor.page.locator("h1")).to_have_text(case["title"])
    visitor.page.click("button[data-action=helpful]")
    expect(visitor.page.locator(".messages .success")).to_be_visible()
    visitor.shot("voted", counter)
    assert visitor.blocked == []
    visitor.close()
    public.refresh_from_db()
    assert (public.views, public.helpful_votes) == (2, 1)
