"""The release pages: the support team plans, edits and ships releases and plans tickets
into them from the ticket page; customers read what their tickets are planned for, their
roadmap and its signed Atom feed, and nothing of another organisation's."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET

from django.test import Client
from django.urls import reverse
from django.utils import timezone

from sladesk.releases.models import Release
from sladesk.releases.services import ReleaseDraft, release_add_ticket, release_create, release_ship
from sladesk.tickets import services
from sladesk.tickets.choices import CommentKind
from sladesk.tickets.models import Ticket
from sladesk.web.releases import feed_signature
from tests.conftest import FOREIGN_SECRET, World, signed_in
from tests.web.test_query_counts import queries_for

ATOM = "{http://www.w3.org/2005/Atom}"
HTMX = {"HX-Request": "true"}


def in_days(days: int) -> dt.date:
    return timezone.localdate() + dt.timedelta(days=days)


def alpha_release(world: World, version: str = "2.5", **fields: object) -> Release:
    draft = ReleaseDraft(
        service_id=world.alpha.service.pk,
        version=version,
        planned_on=in_days(30),
        **fields,  # type: ignore[arg-type]
    )
    return release_create(actor=world.agent1, draft=draft)


def planned_ticket(world: World, release: Release, **fields: object) -> Ticket:
    ticket = world.ticket(world.alpha, **fields)
    release_add_ticket(actor=world.agent1, release_id=release.pk, ticket_id=ticket.pk)
    return ticket


def box(client: Client, ticket: Ticket) -> str:
    url = reverse("web:ticket_release", args=[ticket.pk])
    return client.get(url, headers=HTMX).content.decode()


# --- the support team's pages ------------------------------------------------------------


def test_an_agent_plans_a_release_on_the_new_page_and_finds_it_in_the_list(world: World) -> None:
    client = signed_in(world.agent1)
    assert client.get(reverse("web:release_new")).status_code == 200
    response = client.post(
        reverse("web:release_new"),
        {
            "service": world.alpha.service.pk,
            "version": "2.5",
            "name": "Spring",
            "planned_on": in_days(20).isoformat(),
            "personal": "on",
            "language": "en",
            "notes": "Faster **invoices**.",
        },
    )
    release = Release.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("web:release_detail", args=[release.pk])
    assert release.organisation_id == world.alpha.organisation.pk  # a personal delivery
    assert release.notes == {"en": "Faster **invoices**."}
    planned_ticket(world, release)
    listing = client.get(reverse("web:release_list")).content.decode()
    assert f'href="{reverse("web:release_detail", args=[release.pk])}">2.5</a>' in listing
    assert "<td data-ticket-count>1</td>" in listing
    shipped_only = client.get(reverse("web:release_list"), {"status": "released"}).content
    assert b"Spring" not in shipped_only
    by_service = client.get(reverse("web:release_list"), {"service": world.beta.service.pk})
    assert b"Spring" not in by_service.content
    assert b"Spring" in client.get(reverse("web:release_list"), {"status": "bogus"}).content


def test_a_version_taken_and_a_date_in_the_past_are_form_errors(world: World) -> None:
    alpha_release(world)
    client = signed_in(world.agent1)
    form = {"service": world.alpha.service.pk, "language": "en", "notes": ""}
    taken = client.post(
        reverse("web:release_new"),
        {**form, "version": "2.5", "planned_on": in_days(5).isoformat()},
    )
    assert taken.status_code == 200
    assert 'data-field-error="version"' in taken.content.decode()
    past = client.post(
        reverse("web:release_new"),
        {**form, "version": "2.6", "planned_on": in_days(-1).isoformat()},
    )
    assert past.status_code == 200
    assert "The planned date is in the past." in past.content.decode()
    nonsense = client.post(
        reverse("web:release_new"), {**form, "version": "2.7", "planned_on": "soon"}
    )
    assert nonsense.status_code == 200
    assert Release.objects.count() == 1


def test_customers_are_told_the_workspace_release_pages_do_not_exist(world: World) -> None:
    release = alpha_release(world)
    ticket = planned_ticket(world, release)
    client = signed_in(world.alpha.specialist)
    for url in (
        reverse("web:release_list"),
        reverse("web:release_new"),
        reverse("web:release_detail", args=[release.pk]),
        reverse("web:release_ship", args=[release.pk]),
        reverse("web:release_remove_ticket", args=[release.pk, ticket.pk]),
    ):
        assert client.get(url).status_code == 404, url
        assert client.post(url).status_code == 404, url
    assert (
        client.post(reverse("web:ticket_release", args=[ticket.pk]), {"release": ""}).status_code
        == 404
    )
    release.refresh_from_db()
    assert release.status == "planned"


def test_the_detail_page_shows_the_tickets_and_the_notes_sanitised_and_edits(
    world: World,
) -> None:
    release = alpha_release(world, notes={"en": "**Bold** <script>alert(1)</script>"})
    ticket = planned_ticket(world, release, title="Invoices are blank")
    client = signed_in(world.agent1)
    url = reverse("web:release_detail", args=[release.pk])
    page = client.get(url).content.decode()
    assert "<strong>Bold</strong>" in page
    assert "<script>alert(1)" not in page
    assert ticket.number in page
    assert "Invoices are blank" in page
    edit = {
        "name": "Renamed",
        "planned_on": in_days(40).isoformat(),
        "status": "testing",
        "language": "ru",
        "notes": "Быстрее",
    }
    assert client.post(url, edit).status_code == 302
    release.refresh_from_db()
    assert (release.name, release.planned_on, release.status) == ("Renamed", in_days(40), "testing")
    assert set(release.notes) == {"en", "ru"}  # the English notes stay
    past = client.post(url, {**edit, "planned_on": in_days(-3).isoformat()})
    assert past.status_code == 200
    assert 'data-field-error="planned_on"' in past.content.decode()
    shipping_by_edit = client.post(url, {**edit, "status": "released"})
    assert shipping_by_edit.status_code == 200
    assert 'data-field-error="status"' in shipping_by_edit.content.decode()
    release.refresh_from_db()
    assert release.planned_on == in_days(40)
    assert release.status == "testing"


def test_shipping_from_the_detail_page_asks_for_confirmation_first(world: World) -> None:
    release = alpha_release(world)
    ticket = planned_ticket(world, release)
    client = signed_in(world.agent1)
    ship = reverse("web:release_ship", args=[release.pk])
    assert (
        'data-action="ship"'
        in client.get(reverse("web:release_detail", args=[release.pk])).content.decode()
    )
    unconfirmed = client.post(ship)
    assert unconfirmed.status_code == 200
    assert 'data-field-error="confirm"' in unconfirmed.content.decode()
    release.refresh_from_db()
    assert release.status == "planned"
    response = client.post(ship, {"confirm": "on"})
    assert response.status_code == 302
    release.refresh_from_db()
    assert release.status == "released"
    assert release.shipped_at is not None
    assert ticket.comments.filter(kind=CommentKind.PUBLIC, author=None).exists()
    again = client.post(ship, {"confirm": "on"})
    assert again.status_code == 200
    assert "shipped already" in again.content.decode()
    page = client.get(reverse("web:release_detail", args=[release.pk])).content.decode()
    assert 'data-action="ship"' not in page
    assert 'data-action="remove-ticket"' not in page  # what shipped stays in it


def test_a_ticket_is_taken_out_of_the_release_on_its_page(world: World) -> None:
    release = alpha_release(world)
    ticket = planned_ticket(world, release)
    client = signed_in(world.agent1)
    remove = reverse("web:release_remove_ticket", args=[release.pk, ticket.pk])
    assert client.post(remove).status_code == 302
    ticket.refresh_from_db()
    assert ticket.release_id is None
    again = client.post(remove, follow=True)
    assert "does not carry this ticket" in again.content.decode()


# --- the ticket page's release box -------------------------------------------------------


def test_an_agent_plans_a_ticket_from_the_ticket_page(
    world: World, foreign: dict[str, int]
) -> None:
    release = alpha_release(world)
    later = alpha_release(world, version="3.0", name="Autumn")
    ticket = world.ticket(world.alpha)
    client = signed_in(world.agent1)
    page = client.get(reverse("web:ticket_detail", args=[ticket.pk])).content.decode()
    url = reverse("web:ticket_release", args=[ticket.pk])
    assert f'hx-get="{url}"' in page
    shown = box(client, ticket)
    assert "Not planned yet" in shown
    assert f'<option value="{release.pk}">2.5 · ' in shown
    assert f'value="{foreign["release_id"]}"' not in shown  # Beta's service, not this one's
    assert client.post(url, {"release": release.pk}).status_code == 302
    ticket.refresh_from_db()
    assert ticket.release_id == release.pk
    assert "Planned for version 2.5" in box(client, ticket)
    moved = client.post(url, {"release": later.pk}, headers=HTMX)
    assert moved.headers["HX-Refresh"] == "true"
    ticket.refresh_from_db()
    assert ticket.release_id == later.pk
    assert client.post(url, {"release": ""}).status_code == 302
    ticket.refresh_from_db()
    assert ticket.release_id is None


def test_bad_release_choices_on_the_ticket_page_are_form_errors(
    world: World, foreign: dict[str, int]
) -> None:
    release = alpha_release(world)
    ticket = world.ticket(world.alpha)
    client = signed_in(world.agent1)
    url = reverse("web:ticket_release", args=[ticket.pk])
    for value in (str(foreign["release_id"]), "999999", "x"):
        response = client.post(url, {"release": value}, headers=HTMX)
        assert response.status_code == 200, value
        assert 'data-field-error="release"' in response.content.decode(), value
    nothing_to_take_out = client.post(url, {"release": ""})
    assert nothing_to_take_out.status_code == 200
    assert "The ticket is not planned yet." in nothing_to_take_out.content.decode()
    services.ticket_resolve(actor=world.agent1, ticket_id=ticket.pk, resolution="done")
    closed = client.post(url, {"release": release.pk}, headers=HTMX)
    assert closed.status_code == 200
    assert "no longer open" in closed.content.decode()
    ticket.refresh_from_db()
    assert ticket.release_id is None


def test_a_customer_reads_what_their_ticket_is_planned_for(world: World) -> None:
    release = alpha_release(world)
    ticket = planned_ticket(world, release)
    unplanned = world.ticket(world.alpha)
    client = signed_in(world.alpha.user)
    shown = box(client, ticket)
    assert "Planned for version 2.5, planned for" in shown
    assert "<form" not in shown
    assert box(client, unplanned).strip() == ""  # nothing to tell
    assert (
        "Not planned yet"
        in client.get(reverse("web:ticket_release", args=[unplanned.pk])).content.decode()
    )
    release_ship(actor=world.agent1, release_id=release.pk)
    assert "Released in 2.5 on" in box(client, ticket)


# --- the roadmap and its feed ------------------------------------------------------------


def test_the_roadmap_shows_the_own_plans_and_notes_and_nothing_of_beta(
    world: World, foreign: dict[str, int]
) -> None:
    upcoming = alpha_release(world, version="3.0")
    ticket = planned_ticket(world, upcoming, title="Export to PDF")
    shipped = alpha_release(world, version="2.5", notes={"en": "Invoices *fixed*."})
    release_ship(actor=world.agent1, release_id=shipped.pk)
    release_ship(actor=world.agent1, release_id=foreign["release_id"])
    client = signed_in(world.alpha.specialist)
    page = client.get(reverse("web:roadmap")).content.decode()
    assert f'data-ticket="{ticket.pk}"' in page
    assert "Export to PDF" in page
    assert "<em>fixed</em>" in page
    assert f'id="release-{shipped.pk}"' in page
    assert FOREIGN_SECRET not in page
    assert "7.7" not in page
    signature = feed_signature(world.alpha.organisation.pk)
    assert f"/roadmap/feed/{world.alpha.organisation.pk}/{signature}/" in page
    assert signed_in(world.agent1).get(reverse("web:roadmap")).status_code == 404


def test_the_roadmap_lists_defects_not_planned_yet(world: World) -> None:
    defect_class = world.alpha.scheme.classes.get(code="C")
    defect = world.ticket(world.alpha, title="Totals wrong")
    services.ticket_classify(
        actor=world.agent1, ticket_id=defect.pk, ticket_class_id=defect_class.pk
    )
    world.ticket(world.alpha, title="Unclassified question")
    page = signed_in(world.alpha.specialist).get(reverse("web:roadmap")).content.decode()
    assert "Totals wrong" in page
    assert "Unclassified question" not in page


def feed_entries(client: Client, organisation_id: int) -> list[ET.Element]:
    url = reverse(
        "web:roadmap_feed",
        kwargs={"organisation_id": organisation_id, "signature": feed_signature(organisation_id)},
    )
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    root = ET.fromstring(response.content)  # noqa: S314  # our own output
    assert root.tag == f"{ATOM}feed"
    return root.findall(f"{ATOM}entry")


def test_the_feed_carries_the_shipped_notes_of_the_organisation_alone(
    world: World, foreign: dict[str, int]
) -> None:
    first = alpha_release(world, version="2.5", notes={"en": "Invoices **fixed**."})
    second = alpha_release(world, version="2.6", notes={"en": "<b>bold</b> claims"})
    alpha_release(world, version="3.0", notes={"en": "not yet"})
    release_ship(actor=world.agent1, release_id=first.pk)
    release_ship(actor=world.agent1, release_id=second.pk)
    release_ship(actor=world.agent1, release_id=foreign["release_id"])
    anonymous = Client()
    entries = feed_entries(anonymous, world.alpha.organisation.pk)
    titles = [entry.findtext(f"{ATOM}title") for entry in entries]
    assert titles == ["alpha app 2.6", "alpha app 2.5"]  # newest first
    newest, oldest = entries
    assert "&lt;b&gt;bold&lt;/b&gt;" in (newest.findtext(f"{ATOM}content") or "")
    assert "<strong>fixed</strong>" in (oldest.findtext(f"{ATOM}content") or "")
    second.refresh_from_db()
    assert second.shipped_at is not None
    updated = dt.datetime.fromisoformat(newest.findtext(f"{ATOM}updated") or "")
    assert abs(updated - second.shipped_at) < dt.timedelta(seconds=1)
    ids = {entry.findtext(f"{ATOM}id") for entry in entries}
    assert len(ids) == 2
    beta = feed_entries(anonymous, world.beta.organisation.pk)
    assert [entry.findtext(f"{ATOM}title") for entry in beta] == ["beta app 7.7"]
    alpha_feed = anonymous.get(
        reverse(
            "web:roadmap_feed",
            kwargs={
                "organisation_id": world.alpha.organisation.pk,
                "signature": feed_signature(world.alpha.organisation.pk),
            },
        )
    ).content.decode()
    assert FOREIGN_SECRET not in alpha_feed


def test_a_feed_link_with_a_wrong_signature_is_404(world: World) -> None:
    alpha, beta = world.alpha.organisation.pk, world.beta.organisation.pk
    for organisation_id, signature in (
        (alpha, "forged"),
        (alpha, feed_signature(beta)),  # another organisation's signature
        (beta, feed_signature(alpha)),
        (world.vendor.pk, feed_signature(world.vendor.pk)),  # no customer
    ):
        url = reverse(
            "web:roadmap_feed",
            kwargs={"organisation_id": organisation_id, "signature": signature},
        )
        assert Client().get(url).status_code == 404, (organisation_id, signature)


# --- query counts ------------------------------------------------------------------------


def cost(client: Client, url: str) -> int:
    return queries_for(lambda: client.get(url))


def test_the_release_pages_cost_the_same_queries_however_many_rows(world: World) -> None:
    agent, customer = signed_in(world.agent1), signed_in(world.alpha.specialist)
    feed = reverse(
        "web:roadmap_feed",
        kwargs={
            "organisation_id": world.alpha.organisation.pk,
            "signature": feed_signature(world.alpha.organisation.pk),
        },
    )

    def add(start: int, count: int) -> None:
        for number in range(start, start + count):
            release = alpha_release(world, version=f"1.{number}")
            planned_ticket(world, release)
            if number % 2:
                release_ship(actor=world.agent1, release_id=release.pk)

    pages = [
        (agent, reverse("web:release_list")),
        (customer, reverse("web:roadmap")),
        (Client(), feed),
    ]
    add(0, 2)
    few = [cost(client, url) for client, url in pages]
    add(2, 8)
    many = [cost(client, url) for client, url in pages]
    assert many == few
    assert max(many) <= 8
    release = Release.objects.order_by("pk").first()
    assert release is not None
    detail = reverse("web:release_detail", args=[release.pk])
    before = queries_for(lambda: agent.get(detail))
    for _ in range(5):
        planned_ticket(world, Release.objects.filter(status="planned").order_by("pk")[0])
    assert queries_for(lambda: agent.get(detail)) == before
