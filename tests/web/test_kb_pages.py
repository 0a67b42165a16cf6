"""The support team's knowledge base pages and the knowledge panels of the ticket and
problem pages: the team writes, reviews and links articles; customers are told nothing
exists there."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from sladesk.knowledge.choices import ArticleStatus, Audience, TicketArticleKind
from sladesk.knowledge.models import Article, TicketArticle
from sladesk.knowledge.services import (
    BODY_LIMIT,
    ArticleDraft,
    article_create,
    article_update,
    configuration_save,
)
from sladesk.problems.services import ProblemRegistration, problem_act, problem_register
from sladesk.tickets import services as ticket_services
from sladesk.tickets.models import Ticket
from tests.conftest import World, signed_in


def article(world: World, title: str, body: str = "", **fields: object) -> Article:
    draft = ArticleDraft(title=title, body=body, **fields)  # type: ignore[arg-type]
    return article_create(actor=world.agent1, draft=draft)


def published(world: World, title: str, body: str = "", **fields: object) -> Article:
    return article(
        world,
        title,
        body,
        status=ArticleStatus.PUBLISHED,
        audience=fields.pop("audience", Audience.PUBLIC),
        **fields,
    )


def form_data(**changes: object) -> dict[str, object]:
    """What the article form posts for a plain public draft, with `changes`."""
    return {
        "title": "Reset a password",
        "body": "Open the sign-in page.",
        "language": "en",
        "audience": Audience.PUBLIC,
        "organisation": "",
        "status": ArticleStatus.DRAFT,
        "category": "",
        "owner": "",
        "review_on": "",
        "tags": "password, sign-in",
        **changes,
    }


def page(client: Client, name: str, *args: object) -> str:
    response = client.get(reverse(name, args=args))
    assert response.status_code == 200, (name, response.status_code)
    return response.content.decode()


def test_the_pages_render_for_the_team_and_are_404_for_customers(world: World) -> None:
    written = article(world, "Mail import", "Line one.")
    ticket = world.ticket(world.alpha)
    problem = problem_register(actor=world.agent1, data=ProblemRegistration(title="Blank"))
    pages = [
        ("web:kb_list", ()),
        ("web:kb_new", ()),
        ("web:kb_detail", (written.pk,)),
        ("web:kb_edit", (written.pk,)),
        ("web:kb_translate", (written.pk,)),
        ("web:kb_version", (written.pk, 1)),
        ("web:kb_configuration", (world.alpha.organisation.pk,)),
    ]
    agent = signed_in(world.agent1)
    for name, args in pages:
        assert "Mail import" in page(agent, name, *args) or name in {
            "web:kb_new",
            "web:kb_configuration",
        }
    posts = [
        ("web:kb_preview", ()),
        ("web:kb_reviewed", (written.pk,)),
        ("web:kb_link_ticket", (written.pk, ticket.pk)),
        ("web:kb_insert_link", (written.pk, ticket.pk)),
        ("web:kb_resolve_with", (written.pk, ticket.pk)),
        ("web:kb_from_ticket", (ticket.pk,)),
        ("web:kb_from_problem", (problem.pk,)),
        ("web:kb_configuration", (world.alpha.organisation.pk,)),
    ]
    for customer in (world.alpha.specialist, world.alpha.user):
        client = signed_in(customer)
        for name, args in pages:
            assert client.get(reverse(name, args=args)).status_code == 404, name
        for name, args in posts:
            assert client.post(reverse(name, args=args)).status_code == 404, name
    assert not TicketArticle.objects.exists()
    assert Article.objects.count() == 1


def test_an_agent_writes_an_article_and_edits_it(world: World) -> None:
    client = signed_in(world.agent1)
    response = client.post(reverse("web:kb_new"), form_data())
    written = Article.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("web:kb_detail", args=[written.pk])
    assert written.owner == world.agent1  # nobody chosen: the writer
    assert sorted(written.tags.values_list("name", flat=True)) == ["password", "sign-in"]
    assert "<p>Open the sign-in page.</p>" in page(client, "web:kb_detail", written.pk)
    edit = page(client, "web:kb_edit", written.pk)
    assert 'name="version" value="1"' in edit
    response = client.post(
        reverse("web:kb_edit", args=[written.pk]),
        form_data(body="Open the sign-in page.\nPress *Forgot*.", version=1),
    )
    assert response.status_code == 302
    written.refresh_from_db()
    assert written.version == 2
    assert "<em>Forgot</em>" in written.body_html


def test_a_save_over_a_newer_version_is_refused_and_loses_no_text(world: World) -> None:
    written = article(world, "VPN", "First line.")
    client = signed_in(world.agent2)
    article_update(
        actor=world.agent1,
        article_id=written.pk,
        expected_version=1,
        changes={"body": "First line.\nTheir second line."},
    )
    response = client.post(
        reverse("web:kb_edit", args=[written.pk]),
        form_data(title="VPN", body="First line.\nMy own second line.", version=1),
    )
    content = response.content.decode()
    assert response.status_code == 200
    assert "changed meanwhile" in content
    assert "My own second line." in content  # what this agent typed, in the form
    assert "Their second line." in content  # beside it, the newer version
    assert 'name="version" value="2"' in content  # saving again replaces it knowingly
    written.refresh_from_db()
    assert written.body == "First line.\nTheir second line."
    response = client.post(
        reverse("web:kb_edit", args=[written.pk]),
        form_data(title="VPN", body="First line.\nMy own second line.", version=2),
    )
    assert response.status_code == 302
    written.refresh_from_db()
    assert (written.version, written.body) == (3, "First line.\nMy own second line.")


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"audience": Audience.ORGANISATION}, "needs that customer organisation"),
        ({"body": "x" * (BODY_LIMIT + 1)}, "longer than"),
        ({"title": "   "}, "required"),
        ({"category": "999999"}, "Select a valid choice"),
        ({"review_on": "someday"}, "Enter a valid date"),
    ],
)
def test_bad_input_is_a_form_error_and_writes_nothing(
    world: World, changes: dict[str, object], error: str
) -> None:
    client = signed_in(world.agent1)
    response = client.post(reverse("web:kb_new"), form_data(**changes))
    assert response.status_code == 200
    assert error in response.content.decode()
    assert not Article.objects.exists()


def test_an_organisation_audience_takes_a_customer_organisation(world: World) -> None:
    client = signed_in(world.agent1)
    field = client.get(
        reverse("web:kb_organisation_field"), {"audience": Audience.ORGANISATION}
    ).content.decode()
    assert 'id="kb-organisation"' in field
    assert " hidden" not in field
    assert world.alpha.organisation.name in field
    assert (
        " hidden"
        in client.get(
            reverse("web:kb_organisation_field"), {"audience": Audience.PUBLIC}
        ).content.decode()
    )
    client.post(
        reverse("web:kb_new"),
        form_data(audience=Audience.ORGANISATION, organisation=world.alpha.organisation.pk),
    )
    assert Article.objects.get().organisation == world.alpha.organisation


def test_the_preview_is_rendered_and_sanitised(world: World) -> None:
    body = "# Steps\n\n<script>alert(1)</script>\n\n[open](javascript:alert(2)) **now**"
    response = signed_in(world.agent1).post(reverse("web:kb_preview"), {"body": body})
    content = response.content.decode()
    assert "<h1>Steps</h1>" in content
    assert "<strong>now</strong>" in content
    assert "<script" not in content
    assert 'href="javascript' not in content
    too_long = signed_in(world.agent1).post(
        reverse("web:kb_preview"), {"body": "x" * (BODY_LIMIT + 1)}
    )
    assert "longer than" in too_long.content.decode()


def test_the_article_page_never_renders_the_raw_body_as_html(world: World) -> None:
    written = article(world, "Raw", "<b onclick=x>bold</b>")
    content = page(signed_in(world.agent1), "web:kb_detail", written.pk)
    assert "<b onclick" not in content
    assert "&lt;b onclick=x&gt;bold&lt;/b&gt;" in content


def test_a_version_page_shows_the_lines_added_and_removed(world: World) -> None:
    written = article(world, "Steps", "keep\nold step\nkeep too")
    article_update(
        actor=world.agent2,
        article_id=written.pk,
        expected_version=1,
        changes={"title": "Steps again", "body": "keep\nnew step\nkeep too"},
    )
    client = signed_in(world.agent1)
    content = page(client, "web:kb_version", written.pk, 2)
    assert '<li class="diff-removed" data-change="removed"><del>' in content
    assert "old step</del>" in content
    assert "new step</ins>" in content
    assert '<li class="diff-same" data-change="same">' in content
    assert "Steps again" in content
    first = page(client, "web:kb_version", written.pk, 1)
    assert "The first version" in first
    assert "<del>" not in first
    assert "old step</ins>" in first
    detail = page(client, "web:kb_detail", written.pk)
    assert reverse("web:kb_version", args=[written.pk, 2]) in detail
    assert client.get(reverse("web:kb_version", args=[written.pk, 3])).status_code == 404


def test_the_list_filters_searches_and_shows_what_to_review(world: World) -> None:
    printer = published(world, "Printer offline", "Restart the spooler.", language="en")
    overdue = published(world, "Old VPN client", review_on=dt.date(2000, 1, 1))
    draft = article(world, "Printer draft", language="ru")
    ticket = world.ticket(world.alpha)
    ticket_services.ticket_assign(
        actor=world.agent1, ticket_id=ticket.pk, assignee_id=world.agent1.pk
    )
    client = signed_in(world.agent1)
    client.post(reverse("web:kb_link_ticket", args=[printer.pk, ticket.pk]))
    listing = client.get(reverse("web:kb_list")).content.decode()
    for written in (printer, overdue, draft):
        assert f'data-article="{written.pk}"' in listing
    row = listing.split(f'data-article="{printer.pk}"')[1].split("</tr>")[0]
    assert '<td data-count="tickets">1</td>' in row
    stale = client.get(reverse("web:kb_list"), {"stale": "on"}).content.decode()
    assert f'data-article="{overdue.pk}"' in stale
    assert f'data-article="{printer.pk}"' not in stale
    russian = client.get(reverse("web:kb_list"), {"language": "ru"}).content.decode()
    assert f'data-article="{draft.pk}"' in russian
    assert f'data-article="{printer.pk}"' not in russian
    found = client.get(
        reverse("web:kb_list"),
        {"q": "spooler", "status": "published"},
        headers={"HX-Request": "true"},
    ).content.decode()
    assert f'data-article="{printer.pk}"' in found
    assert f'data-article="{draft.pk}"' not in found
    assert "<mark>" in found
    assert "<h1>" not in found  # the table alone for htmx


def test_a_translation_is_tied_to_its_original(world: World) -> None:
    original = published(world, "Reset a password", "Open the sign-in page.")
    client = signed_in(world.agent1)
    form = page(client, "web:kb_translate", original.pk)
    assert "Open the sign-in page." in form
    response = client.post(
        reverse("web:kb_translate", args=[original.pk]),
        form_data(title="Принтер не печатает", body="Проверьте очередь печати.", language="ru"),
    )
    assert response.status_code == 302
    translation = Article.objects.get(language="ru")
    assert translation.translation_of == original
    assert "Принтер не печатает" in page(client, "web:kb_detail", original.pk)
    again = client.post(
        reverse("web:kb_translate", args=[original.pk]), form_data(language="ru")
    ).content.decode()
    assert "has this language already" in again


def test_reviewing_clears_the_flag_and_sets_the_next_date(world: World) -> None:
    overdue = published(world, "Old VPN client", review_on=dt.date(2000, 1, 1))
    client = signed_in(world.agent1)
    assert "data-stale" in page(client, "web:kb_detail", overdue.pk)
    client.post(reverse("web:kb_reviewed", args=[overdue.pk]), {"review_on": "2099-01-31"})
    overdue.refresh_from_db()
    assert overdue.review_on == dt.date(2099, 1, 31)
    assert "data-stale" not in page(client, "web:kb_detail", overdue.pk)


def ticket_page(user: object, ticket: Ticket) -> str:
    return page(signed_in(user), "web:ticket_detail", ticket.pk)  # type: ignore[arg-type]


def test_the_ticket_page_suggests_articles_and_offers_links_only_the_requester_may_read(
    world: World,
) -> None:
    public = published(world, "Printer offline after update", "Restart the print spooler.")
    internal = published(
        world, "Printer spooler internals", "Kill the spooler.", audience=Audience.INTERNAL
    )
    beta_only = published(
        world,
        "Printer at Beta",
        "Beta's printer.",
        audience=Audience.ORGANISATION,
        organisation_id=world.beta.organisation.pk,
    )
    unrelated = published(world, "VPN drops", "Reconnect.")
    ticket = world.ticket(world.alpha, title="Printer offline", description="The spooler hangs.")
    content = ticket_page(world.agent1, ticket)
    for suggested in (public, internal, beta_only):
        assert f'data-suggested-article="{suggested.pk}"' in content
    assert f'data-suggested-article="{unrelated.pk}"' not in content
    assert f'data-insertable="{public.pk}"' in content
    assert f"[Printer offline after update](/help/articles/{public.pk}/)" in content
    for hidden in (internal, beta_only):
        assert f'data-insertable="{hidden.pk}"' not in content
        assert f'data-not-for-customer="{hidden.pk}"' in content
    assert "<mark>" in content
    customer_page = ticket_page(world.alpha.user, ticket)
    assert "Suggested articles" not in customer_page
    assert "Printer spooler internals" not in customer_page

    client = signed_in(world.agent1)
    inserted = client.post(
        reverse("web:kb_insert_link", args=[public.pk, ticket.pk]),
        {"body": "Hello,\nplease read this:"},
        headers={"HX-Request": "true"},
    ).content.decode()
    assert inserted.startswith("<textarea")
    assert 'id="id_body"' in inserted
    assert (
        f"Hello,\nplease read this:\n\n[Printer offline after update](/help/articles/{public.pk}/)"
        in inserted
    )
    refused = client.post(
        reverse("web:kb_insert_link", args=[internal.pk, ticket.pk]), {"body": "Hi"}
    )
    assert refused.status_code == 404


def test_linking_an_article_to_a_ticket_shows_it_on_both_pages(world: World) -> None:
    written = published(world, "Printer offline", "Restart.")
    ticket = world.ticket(world.alpha, title="Printer offline")
    client = signed_in(world.agent1)
    response = client.post(reverse("web:kb_link_ticket", args=[written.pk, ticket.pk]))
    assert response.status_code == 302
    link = TicketArticle.objects.get()
    assert (link.ticket, link.article, link.kind) == (ticket, written, TicketArticleKind.LINKED)
    assert f'data-linked-article="{written.pk}"' in ticket_page(world.agent1, ticket)
    assert ticket.number in page(client, "web:kb_detail", written.pk)


def test_resolving_with_an_article_resolves_the_ticket_and_records_the_tie(
    world: World,
) -> None:
    written = published(world, "Printer offline", "Restart the spooler.")
    ticket = world.ticket(world.alpha, title="Printer offline")
    content = ticket_page(world.agent1, ticket)
    assert f'data-resolve-with="{written.pk}"' in content
    client = signed_in(world.agent1)
    url = reverse("web:kb_resolve_with", args=[written.pk, ticket.pk])
    client.post(url, {f"resolve-{written.pk}-resolution": ""})
    ticket.refresh_from_db()
    assert ticket.status == "new"  # a resolution needs its words
    link_text = f"[Printer offline](/help/articles/{written.pk}/)"
    client.post(url, {f"resolve-{written.pk}-resolution": f"See {link_text}"})
    ticket.refresh_from_db()
    assert ticket.status == "resolved"
    assert TicketArticle.objects.filter(
        ticket=ticket, article=written, kind=TicketArticleKind.RESOLVED_WITH
    ).exists()
    assert ticket.comments.filter(body__contains=link_text).exists()


def test_an_article_is_written_from_a_resolved_ticket(world: World) -> None:
    ticket = world.ticket(world.alpha, title="Export hangs", description="At 90 percent.")
    assert 'data-action="article-from-ticket"' not in ticket_page(world.agent1, ticket)
    ticket_services.ticket_resolve(
        actor=world.agent1, ticket_id=ticket.pk, resolution="Clear the export cache."
    )
    assert 'data-action="article-from-ticket"' in ticket_page(world.agent1, ticket)
    response = signed_in(world.agent1).post(reverse("web:kb_from_ticket", args=[ticket.pk]))
    written = Article.objects.get()
    assert response["Location"] == reverse("web:kb_edit", args=[written.pk])
    assert written.title == "Export hangs"
    assert "Clear the export cache." in written.body
    assert TicketArticle.objects.filter(
        ticket=ticket, article=written, kind=TicketArticleKind.SOURCE
    ).exists()


def test_an_article_is_written_from_a_known_error_and_listed_on_its_problem(
    world: World,
) -> None:
    problem = problem_register(actor=world.agent1, data=ProblemRegistration(title="Blank invoices"))
    client = signed_in(world.agent1)
    assert 'data-action="article-from-problem"' not in page(
        client, "web:problem_detail", problem.pk
    )
    problem_act(
        actor=world.agent1, problem_id=problem.pk, action="known-error", text="Reload the page."
    )
    assert 'data-action="article-from-problem"' in page(client, "web:problem_detail", problem.pk)
    response = client.post(reverse("web:kb_from_problem", args=[problem.pk]))
    written = Article.objects.get()
    assert response["Location"] == reverse("web:kb_edit", args=[written.pk])
    assert written.problem == problem
    assert "Reload the page." in written.body
    assert f'data-article="{written.pk}"' in page(client, "web:problem_detail", problem.pk)


def test_the_configuration_panel_shows_the_tickets_own_organisation_only(world: World) -> None:
    for customer, text in ((world.alpha, "ALPHA-ENV on Linux"), (world.beta, "BETA-ENV secret")):
        configuration_save(
            actor=world.agent1,
            organisation_id=customer.organisation.pk,
            expected_version=0,
            data={"environment": text, "remote_access": f"{text} VPN"},
        )
    ticket = world.ticket(world.alpha)
    content = ticket_page(world.agent1, ticket)
    assert "ALPHA-ENV on Linux" in content
    assert "BETA-ENV" not in content
    assert reverse("web:kb_configuration", args=[world.alpha.organisation.pk]) in content
    for customer in (world.alpha.user, world.alpha.specialist):
        assert "ALPHA-ENV" not in ticket_page(customer, ticket)


def test_the_configuration_page_saves_refuses_a_stale_save_and_keeps_history(
    world: World,
) -> None:
    url = reverse("web:kb_configuration", args=[world.alpha.organisation.pk])
    client = signed_in(world.agent1)
    assert 'name="version" value="0"' in client.get(url).content.decode()
    fields = {"environment": "Windows Server 2022", "notes": "", "version": 0}
    assert client.post(url, fields).status_code == 302
    stale = client.post(url, {**fields, "environment": "My own words", "version": 0})
    content = stale.content.decode()
    assert stale.status_code == 200
    assert "changed meanwhile" in content
    assert "My own words" in content
    assert "Windows Server 2022" in content
    assert 'name="version" value="1"' in content
    assert client.post(url, {**fields, "environment": "My own words", "version": 1}).status_code
    history = client.get(url).content.decode()
    assert 'data-version="2"' in history
    assert 'data-version="1"' in history
    too_long = client.post(url, {"environment": "x" * 30_000, "version": 2}).content.decode()
    assert "longer than" in too_long or "at most" in too_long


def test_the_ticket_page_costs_the_same_with_more_articles(world: World) -> None:
    from tests.web.test_query_counts import queries_for

    ticket = world.ticket(world.alpha, title="Printer offline", description="spooler")
    client = signed_in(world.agent1)
    url = reverse("web:ticket_detail", args=[ticket.pk])
    published(world, "Printer offline one", "spooler")
    client.post(reverse("web:kb_link_ticket", args=[Article.objects.get().pk, ticket.pk]))
    few = queries_for(lambda: client.get(url))
    for number in range(6):
        written = published(world, f"Printer offline {number}", "spooler")
        client.post(reverse("web:kb_link_ticket", args=[written.pk, ticket.pk]))
    many = queries_for(lambda: client.get(url))
    assert many == few


@pytest.mark.parametrize("parameters", [{}, {"q": "printer"}, {"stale": "on"}])
def test_the_list_costs_the_same_however_many_articles(
    world: World, parameters: dict[str, str]
) -> None:
    from tests.web.test_query_counts import queries_for

    client = signed_in(world.agent1)
    url = reverse("web:kb_list")

    def add(count: int) -> None:
        for number in range(count):
            published(
                world,
                f"Printer {Article.objects.count()} {number}",
                "spooler",
                review_on=dt.date(2000, 1, 1),
                organisation_id=world.alpha.organisation.pk,
                audience=Audience.ORGANISATION,
                tags=("printing",),
            )

    add(2)
    few = queries_for(lambda: client.get(url, parameters))
    add(8)
    many = queries_for(lambda: client.get(url, parameters))
    assert many == few
    assert many <= 13  # PostgreSQL's search adds a savepoint, its settings and the snippets
