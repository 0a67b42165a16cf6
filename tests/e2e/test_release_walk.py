"""A release in a real browser, in English and in Russian: a customer's request for new
functionality (class E) -> an agent plans it into the coming version 2.5 of the service from
the ticket page's release box -> the customer sees the plan on the ticket and the roadmap ->
the agent ships the release -> the customer reads the desk's note on the ticket, the release
notes in their language on the roadmap, and the notification of it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from django.utils import translation
from django.utils.formats import date_format
from playwright.sync_api import expect

from sladesk.notifications.choices import DeliveryChannel, NotificationKind
from sladesk.notifications.models import Notification
from sladesk.releases.choices import ReleaseStatus
from sladesk.releases.services import ReleaseDraft, release_create
from sladesk.tickets import services
from sladesk.tickets.choices import EventKind
from tests.conftest import World
from tests.e2e.conftest import STORY_MOMENT
from tests.e2e.test_story import Actor

# What the pages must say in each language: the shipped catalogue's msgstr.
TEXTS = {
    "en": {
        "title": "Export invoices to PDF",
        "notes": "Invoices export to **PDF**.",
        "notes_shown": "Invoices export to PDF.",
        "planned": "Planned for version {version}, planned for {date}",
        "shipped_note": "Version {version} of {service} is released, and it includes this ticket.",
        "shipped_headline": "Version {version} is released",
    },
    "ru": {
        "title": "Выгрузка счетов в PDF",
        "notes": "Счета выгружаются в **PDF**.",
        "notes_shown": "Счета выгружаются в PDF.",
        "planned": "Запланировано в версию {version}, выход {date}",
        "shipped_note": (
            "Версия {version} продукта «{service}» выпущена, и эта заявка в неё включена."
        ),
        "shipped_headline": "Версия {version} выпущена",
    },
}
VERSION = "2.5"


@pytest.mark.parametrize("language", ["en", "ru"])
def test_a_request_is_planned_into_a_release_and_the_customer_hears_it_shipped(
    story_clock: None,
    live_server: Any,
    world: World,
    browser: Any,
    artifacts: Path,
    language: str,
) -> None:
    texts = TEXTS[language]
    other = "ru" if language == "en" else "en"
    for person in (world.alpha.user, world.agent1):
        person.language = language  # the interface speaks each person's saved language
        person.save(update_fields=["language"])
    ticket = world.ticket(world.alpha, title=texts["title"])
    request_class = world.alpha.scheme.classes.get(code="E")
    services.ticket_classify(
        actor=world.agent1, ticket_id=ticket.pk, ticket_class_id=request_class.pk
    )
    planned_on = STORY_MOMENT.date() + dt.timedelta(days=30)
    release = release_create(
        actor=world.agent1,
        draft=ReleaseDraft(
            service_id=world.alpha.service.pk,
            version=VERSION,
            planned_on=planned_on,
            notes={language: texts["notes"], other: "Not the reader's language."},
        ),
    )
    with translation.override(language):
        planned_date = date_format(planned_on, "DATE_FORMAT")
    planned_line = texts["planned"].format(version=VERSION, date=planned_date)
    service = world.alpha.service.name
    base = live_server.url
    counter = [0]
    agent = Actor(browser, base, language, artifacts, "agent1")
    customer = Actor(browser, base, language, artifacts, "customer")

    # The agent plans the ticket into 2.5 from the ticket page's release box (htmx).
    agent.sign_in(world.agent1.email)
    agent.page.goto(f"{base}/tickets/{ticket.pk}/")
    choice = agent.page.locator("section#release-box select[name=release]")
    expect(choice).to_be_visible()
    choice.select_option(label=f"{VERSION} · {planned_on.isoformat()}")
    agent.shot("release-chosen", counter)
    agent.page.locator("section#release-box button[data-action=plan-release]").click()
    # The box answers with a refresh of the page: the box is loaded again, now planned.
    planned_box = agent.page.locator(f"section#release-box[data-release='{release.pk}']")
    expect(planned_box.locator("[data-release-plan]")).to_contain_text(planned_line)
    expect(agent.page.locator(".messages .success")).to_contain_text(VERSION)
    agent.shot("ticket-planned", counter)
    ticket.refresh_from_db()
    assert ticket.release_id == release.pk

    # The customer sees the plan on the ticket and the ticket on the roadmap.
    customer.sign_in(world.alpha.user.email)
    customer.page.goto(f"{base}/tickets/{ticket.pk}/")
    plan = customer.page.locator("section#release-box [data-release-plan]")
    expect(plan).to_have_text(planned_line)
    expect(customer.page.locator("section#release-box select")).to_have_count(0)
    customer.shot("ticket-planned", counter)
    customer.page.goto(f"{base}/roadmap/")
    row = customer.page.locator(f".roadmap-planned tr[data-ticket='{ticket.pk}']")
    expect(row).to_contain_text(texts["title"])
    expect(row).to_contain_text(VERSION)
    expect(row).to_contain_text(planned_date)
    expect(customer.page.locator(f"#release-{release.pk}")).to_have_count(0)  # not shipped
    customer.shot("roadmap-planned", counter)

    # The agent confirms and ships the release on its page.
    agent.page.goto(f"{base}/releases/{release.pk}/")
    expect(agent.page.locator(f".release-tickets li[data-ticket='{ticket.pk}']")).to_be_visible()
    ship = agent.page.locator("form.release-ship")
    ship.locator("input[name=confirm]").check()
    agent.shot("release-ship", counter)
    ship.locator("button[data-action=ship]").click()
    expect(agent.page.locator(".messages .success")).to_be_visible()
    expect(agent.page.locator(f"[data-status='{ReleaseStatus.RELEASED}']")).to_be_visible()
    expect(agent.page.locator("form.release-ship")).to_have_count(0)
    agent.shot("release-shipped", counter)
    release.refresh_from_db()
    assert release.status == ReleaseStatus.RELEASED

    # The customer reads the desk's note on the ticket, the notes on the roadmap, and the
    # notification.
    customer.page.goto(f"{base}/tickets/{ticket.pk}/")
    note = texts["shipped_note"].format(version=VERSION, service=service)
    expect(customer.page.locator(".comments")).to_contain_text(note)
    customer.shot("ticket-shipped", counter)
    customer.page.goto(f"{base}/roadmap/")
    shipped = customer.page.locator(f"#release-{release.pk}")
    expect(shipped).to_contain_text(f"{service} {VERSION}")
    expect(shipped.locator(".kb-body")).to_have_text(texts["notes_shown"])
    expect(shipped.locator(".kb-body strong")).to_have_text("PDF")
    customer.shot("roadmap-shipped", counter)
    customer.page.goto(f"{base}/notifications/")
    headline = texts["shipped_headline"].format(version=VERSION)
    item = customer.page.locator("ul.notifications li", has_text=headline)
    expect(item).to_have_count(1)
    expect(item).to_contain_text(ticket.number)
    customer.shot("notifications", counter)
    item.locator("button").click()
    expect(customer.page.locator("h1 .number")).to_have_text(ticket.number)
    assert agent.blocked == []
    assert customer.blocked == []
    agent.close()
    customer.close()

    shipped_rows = [
        row
        for row in Notification.objects.filter(
            user=world.alpha.user, kind=NotificationKind.RELEASE, channel=DeliveryChannel.DESK
        )
        if row.data.get("release", {}).get("event") == EventKind.RELEASE_SHIPPED
    ]
    assert [row.ticket_id for row in shipped_rows] == [ticket.pk]
