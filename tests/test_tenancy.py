"""A customer of one organisation reaches nothing of another's: every web view and every
API route that takes an id answers 404 and leaks no foreign data. New routes are walked
automatically; a route with an id this test does not know fails it until it is covered."""

from __future__ import annotations

from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from sladesk.accounts.services import api_token_create
from sladesk.tickets import services
from tests.conftest import FOREIGN_SECRET, World, signed_in

SECRET_TITLE = FOREIGN_SECRET


def web_patterns(
    resolver: URLResolver | None = None, prefix: str = ""
) -> list[tuple[str, URLPattern]]:
    found: list[tuple[str, URLPattern]] = []
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            if entry.namespace in {"admin", "api"}:
                continue
            namespace = f"{prefix}{entry.namespace}:" if entry.namespace else prefix
            found.extend(web_patterns(entry, namespace))
        elif entry.name:
            found.append((prefix + entry.name, entry))
    return found


def test_every_web_view_with_an_id_answers_404_for_a_foreign_object(
    world: World, foreign: dict[str, int]
) -> None:
    client = signed_in(world.alpha.specialist)
    # Path parts that are no ids: a value each, the foreign object's id decides.
    values: dict[str, object] = {
        **foreign,
        "action": "close",
        "fmt": "csv",  # a report's export
        "name": "20261203T184900123456Z-abcdef012345.eml",  # a caught mail (administrators')
        "number": 1,  # an article's version
        "signature": "not-the-signature",  # a roadmap feed's link: wrong for any organisation
    }
    walked = 0
    for name, pattern in web_patterns():
        parameters = set(pattern.pattern.converters)
        if not parameters:
            continue
        unknown = parameters - set(values)
        assert not unknown, f"{name} takes {unknown}: add it to the tenancy fixture"
        url = reverse(name, kwargs={key: values[key] for key in parameters})
        if parameters == {"fmt"}:  # no id: the reader's own list as a file (no foreign row)
            assert SECRET_TITLE.encode() not in client.get(url).content
            continue
        for method in ("get", "post"):
            response = getattr(client, method)(url)
            assert response.status_code in {404, 405}, (name, method, response.status_code)
            assert SECRET_TITLE.encode() not in response.content
            walked += response.status_code == 404
    assert walked >= 4


def test_lists_show_only_the_own_organisation(world: World, foreign: dict[str, int]) -> None:
    own = world.ticket(world.alpha, title="Alpha's own")
    client = signed_in(world.alpha.specialist)
    page = client.get(reverse("web:ticket_list")).content.decode()
    assert own.number in page
    assert SECRET_TITLE not in page
    _token, raw = api_token_create(user=world.alpha.user, name="t")
    listed = Client(headers={"authorization": f"Bearer {raw}"}).get("/api/v1/tickets").json()
    assert [item["number"] for item in listed["items"]] == [own.number]


def test_an_end_user_sees_only_tickets_they_requested_or_watch(world: World) -> None:
    mine = world.ticket(world.alpha, title="mine")
    colleague = services.ticket_register(
        actor=world.alpha.specialist, data=services.TicketRegistration(title="colleague's")
    )
    client = signed_in(world.alpha.user)
    assert client.get(reverse("web:ticket_detail", args=[mine.pk])).status_code == 200
    assert client.get(reverse("web:ticket_detail", args=[colleague.pk])).status_code == 404
    services.ticket_set_watcher(
        actor=world.alpha.user, ticket_id=mine.pk, user_id=world.alpha.user.pk, watching=True
    )
    assert (
        signed_in(world.alpha.specialist)
        .get(reverse("web:ticket_detail", args=[colleague.pk]))
        .status_code
        == 200
    )


def test_customers_never_see_internal_notes(world: World) -> None:
    ticket = world.ticket(world.alpha)
    services.ticket_comment(
        actor=world.agent1, ticket_id=ticket.pk, body="internal-only remark", internal=True
    )
    services.ticket_comment(actor=world.agent1, ticket_id=ticket.pk, body="public answer")
    page = (
        signed_in(world.alpha.user)
        .get(reverse("web:ticket_detail", args=[ticket.pk]))
        .content.decode()
    )
    assert "public answer" in page
    assert "internal-only remark" not in page
    _token, raw = api_token_create(user=world.alpha.user, name="t")
    comments = (
        Client(headers={"authorization": f"Bearer {raw}"})
        .get(f"/api/v1/tickets/{ticket.pk}/comments")
        .json()
    )
    assert [c["body"] for c in comments] == ["public answer"]
    agent_page = (
        signed_in(world.agent1).get(reverse("web:ticket_detail", args=[ticket.pk])).content.decode()
    )
    assert "internal-only remark" in agent_page
