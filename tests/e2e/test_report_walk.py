"""Reports in a real browser, in English and in Russian: the lead signs in and lands on the
dashboard (the figures now, the charts drawn on the server); the customer's specialist
opens the service report of their contract from the portal's menu and reads February's
figures. Screenshots of both are kept as test artifacts."""

# ruff: noqa: RUF001  # Cyrillic and Czech names are the point of these tests

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import time_machine
from playwright.sync_api import expect

from sladesk.sla.services import sla_install_examples
from sladesk.tickets import services
from tests.conftest import World
from tests.e2e.test_story import Actor

TEXTS = {
    "en": {
        "dashboard": "Dashboard",
        "menu": "Service report",
        "heading": "Service report: Alpha, contract",
        "registered": "registered",
    },
    "ru": {
        "dashboard": "Сводная панель",
        "menu": "Отчёт об обслуживании",
        "heading": "Отчёт об обслуживании: Alpha, договор",
        "registered": "зарегистрировано",
    },
}
FEBRUARY = dt.datetime(2026, 2, 10, 8, tzinfo=dt.UTC)  # a Tuesday, 11:00 in Moscow


@pytest.mark.parametrize("language", ["en", "ru"])
def test_the_lead_watches_the_dashboard_and_the_customer_reads_the_service_report(
    story_clock: None,
    live_server: Any,
    world: World,
    browser: Any,
    artifacts: Path,
    language: str,
) -> None:
    texts = TEXTS[language]
    for person in (world.lead, world.alpha.specialist):
        person.language = language
        person.save(update_fields=["language"])
    world.alpha.contract.sla_policy = sla_install_examples()["moscow-categories"]
    world.alpha.contract.save()
    for day in range(4):
        with time_machine.travel(FEBRUARY + dt.timedelta(days=day), tick=False):
            ticket = world.ticket(world.alpha, title=f"Printer queue stuck #{day}")
        with time_machine.travel(FEBRUARY + dt.timedelta(days=day, hours=day), tick=False):
            services.ticket_comment(actor=world.agent1, ticket_id=ticket.pk, body="Looking")
        if day % 2:
            with time_machine.travel(FEBRUARY + dt.timedelta(days=day, hours=5), tick=False):
                services.ticket_resolve(actor=world.agent1, ticket_id=ticket.pk, resolution="Ok")
    for _ in range(3):
        ticket = world.ticket(world.alpha, title="Open now")
        services.ticket_assign(actor=world.agent1, ticket_id=ticket.pk, assignee_id=world.agent1.pk)
    base = live_server.url
    counter = [0]

    lead = Actor(browser, base, language, artifacts, "lead")
    lead.sign_in(world.lead.email)
    expect(lead.page.locator("h1")).to_have_text(texts["dashboard"])
    assert lead.page.url.endswith("/dashboard/")
    expect(lead.page.locator("[data-kpi=open]")).to_have_text("5")
    expect(lead.page.locator("#dashboard svg[role=img]").first).to_be_visible()
    lead.shot("dashboard", counter)

    specialist = Actor(browser, base, language, artifacts, "specialist")
    specialist.sign_in(world.alpha.specialist.email)
    specialist.page.get_by_role("link", name=texts["menu"], exact=True).click()
    expect(specialist.page.locator("h1")).to_contain_text(texts["heading"])
    specialist.page.fill("#period", "2026-02")
    specialist.page.locator("form.filters button[type=submit]").click()
    expect(specialist.page.locator("[data-kpi=tickets]")).to_have_text("4")
    expect(specialist.page.locator("[data-kpi=resolved]")).to_have_text("2")
    expect(specialist.page.locator(".kpis")).to_contain_text(texts["registered"])
    expect(specialist.page.locator("[data-export=pdf]")).to_be_visible()
    specialist.shot("service-report", counter)
    assert not lead.blocked
    assert not specialist.blocked
