"""Every form of the web interface, fed hostile values, answers with a page or a redirect:
never a server error, never a change half made. The forms are found on the pages themselves,
so a new form is covered without touching this test."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from django.test import Client
from django.urls import reverse

from sladesk.tickets.models import Ticket, TicketEvent
from tests.conftest import World, signed_in

HOSTILE = [
    "\x00",
    "-1",
    "99999999999999999999999",
    "1e309",
    "<script>alert(1)</script>",
    "x" * 20_000,
    "SD-2026-99999999",
    " ",
    "٣",  # a digit, but not an ASCII one
    "²",  # a digit to str.isdigit(), not to int()
]


class Forms(HTMLParser):
    """The POST forms of a page: action and the names of their fields."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[tuple[str, set[str]]] = []
        self._current: tuple[str, set[str]] | None = None
        self._by_id: dict[str, tuple[str, set[str]]] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "form" and (values.get("method") or "").lower() == "post":
            self._current = (values.get("action") or "", set())
            self.forms.append(self._current)
            if values.get("id"):
                self._by_id[str(values["id"])] = self._current
        elif tag in {"input", "select", "textarea"} and values.get("name"):
            # A field outside its form names it (`form="bulk"`), e.g. the queue's checkboxes.
            owner = self._by_id.get(str(values.get("form"))) or self._current
            if owner is not None and values.get("type") != "file":
                owner[1].add(str(values["name"]))

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._current = None


def forms_on(client: Client, url: str) -> list[tuple[str, set[str]]]:
    response = client.get(url)
    assert response.status_code == 200
    parser = Forms()
    parser.feed(response.content.decode())
    return [(action or url, names - {"csrfmiddlewaretoken"}) for action, names in parser.forms]


@pytest.mark.parametrize("who", ["agent", "customer"])
def test_no_form_gives_a_server_error_whatever_it_is_sent(world: World, who: str) -> None:
    ticket = world.ticket(world.alpha, title="Target")
    person = world.agent1 if who == "agent" else world.alpha.user
    client = signed_in(person)
    pages = [
        reverse("web:ticket_detail", args=[ticket.pk]),
        reverse("web:ticket_list"),
        reverse("web:ticket_new"),
        reverse("web:account"),
    ]
    posted = 0
    for page in pages:
        for action, names in forms_on(client, page):
            if action.endswith("/logout/") or "/i18n/" in action:
                continue
            for value in HOSTILE:
                response = client.post(action, dict.fromkeys(names, value))
                assert response.status_code < 500, (action, value[:20])
                posted += 1
    assert posted >= 5 * len(HOSTILE)
    # Nothing was half-registered: every ticket has its registration event.
    for stored in Ticket.objects.all():
        assert TicketEvent.objects.filter(ticket=stored, kind="registered").exists()
