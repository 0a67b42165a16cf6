"""The help centre, deflection on the new-ticket page and the customer's configuration page:
who reads which article, what readers' votes, views and deflections count, and bad input."""

from __future__ import annotations

from functools import partial

import pytest
from django.test import Client
from django.urls import reverse

from sladesk.accounts.models import User
from sladesk.knowledge.choices import ArticleStatus, Audience
from sladesk.knowledge.models import Article, ArticleVote, Category, Deflection
from sladesk.knowledge.services import (
    ArticleDraft,
    article_create,
    article_deflect,
    configuration_save,
)
from sladesk.tickets.models import Ticket
from tests.conftest import World, signed_in
from tests.web.test_query_counts import queries_for


def article(world: World, title: str, **fields: object) -> Article:
    draft = ArticleDraft(
        title=title,
        body=str(fields.pop("body", f"About {title.lower()}.")),
        status=str(fields.pop("status", ArticleStatus.PUBLISHED)),
        audience=str(fields.pop("audience", Audience.PUBLIC)),
        **fields,  # type: ignore[arg-type]
    )
    return article_create(actor=world.agent1, draft=draft)


@pytest.fixture
def shelf(world: World) -> dict[str, Article]:
    """One article of each audience, a draft, and Beta's own article."""
    return {
        "public": article(world, "Printer public guide"),
        "customers": article(world, "Printer customers guide", audience=Audience.CUSTOMERS),
        "alpha": article(
            world,
            "Printer alpha guide",
            audience=Audience.ORGANISATION,
            organisation_id=world.alpha.organisation.pk,
        ),
        "beta": article(
            world,
            "Printer beta guide",
            audience=Audience.ORGANISATION,
            organisation_id=world.beta.organisation.pk,
        ),
        "internal": article(world, "Printer internal runbook", audience=Audience.INTERNAL),
        "draft": article(world, "Printer draft guide", status=ArticleStatus.DRAFT),
    }


def titles_on(client: Client, url: str, **query: str) -> str:
    response = client.get(url, query)
    assert response.status_code == 200
    return response.content.decode()


def readable_by(client: Client, shelf: dict[str, Article]) -> set[str]:
    return {
        name
        for name, item in shelf.items()
        if client.get(reverse("web:help_article", args=[item.pk])).status_code == 200
    }


def test_signed_out_the_help_centre_shows_public_articles_only(
    world: World, shelf: dict[str, Article]
) -> None:
    client = Client()
    home = titles_on(client, reverse("web:help_home"))
    found = titles_on(client, reverse("web:help_home"), q="printer")
    for page in (home, found):
        assert "Printer public guide" in page
        for name in ("customers", "alpha", "beta", "internal", "draft"):
            assert shelf[name].title not in page
    assert "<mark>" in found
    assert readable_by(client, shelf) == {"public"}


def test_customers_read_their_organisations_articles_and_never_internal_ones(
    world: World, shelf: dict[str, Article]
) -> None:
    for person in (world.alpha.user, world.alpha.specialist):
        client = signed_in(person)
        found = titles_on(client, reverse("web:help_home"), q="printer guide")
        assert "Printer alpha guide" in found
        assert "Printer customers guide" in found
        assert "Printer beta guide" not in found
        assert "Printer internal runbook" not in found
        assert "Printer draft guide" not in found
        assert readable_by(client, shelf) == {"public", "customers", "alpha"}
    assert readable_by(signed_in(world.beta.user), shelf) == {"public", "customers", "beta"}


def test_the_support_team_reads_everything_with_drafts_marked(
    world: World, shelf: dict[str, Article]
) -> None:
    client = signed_in(world.agent2)
    assert readable_by(client, shelf) == set(shelf)
    page = titles_on(client, reverse("web:help_article", args=[shelf["draft"].pk]))
    assert 'data-status="draft"' in page
    public = titles_on(client, reverse("web:help_article", args=[shelf["public"].pk]))
    assert 'data-status="draft"' not in public


def test_the_body_is_the_sanitised_html_and_a_snippet_never_carries_markup(
    world: World,
) -> None:
    hostile = article(
        world,
        "Printer <script>alert(1)</script>",
        body="**Bold printer** <script>alert(2)</script> [x](javascript:alert(3))",
    )
    client = Client()
    page = titles_on(client, reverse("web:help_article", args=[hostile.pk]))
    assert "<strong>Bold printer</strong>" in page
    assert "<script>alert" not in page
    assert 'href="javascript:' not in page
    found = titles_on(client, reverse("web:help_home"), q="printer")
    assert "<script>alert" not in found
    assert "&lt;script&gt;" in found


def test_categories_narrow_the_list_and_junk_never_fails(
    world: World, shelf: dict[str, Article]
) -> None:
    printers = Category.objects.create(name="Printers")
    filed = article(world, "Toner replacement", category_id=printers.pk)
    client = Client()
    home = titles_on(client, reverse("web:help_home"))
    assert "Printers" in home
    listed = titles_on(client, reverse("web:help_home"), category=str(printers.pk))
    assert filed.title in listed
    assert "Printer public guide" not in listed
    for junk in ("\x00", "x" * 10_000, "<script>", "٣", "99999999999999999999999", "-1", "1e309"):
        for name in ("q", "category", "page", "lang"):
            assert client.get(reverse("web:help_home"), {name: junk}).status_code == 200
        url = reverse("web:help_article", args=[filed.pk])
        assert client.get(url, {"lang": junk}).status_code == 200
    found = titles_on(client, reverse("web:help_home"), q="<script>alert(1)</script>")
    assert "<script>alert(1)" not in found


def test_a_view_is_counted_on_each_reading_and_not_for_a_refused_one(
    world: World, shelf: dict[str, Article]
) -> None:
    client = Client()
    url = reverse("web:help_article", args=[shelf["public"].pk])
    client.get(url)
    client.get(url)
    assert client.get(reverse("web:help_article", args=[shelf["internal"].pk])).status_code == 404
    shelf["public"].refresh_from_db()
    shelf["internal"].refresh_from_db()
    assert (shelf["public"].views, shelf["internal"].views) == (2, 0)


def test_a_vote_counts_once_per_session_and_once_per_person(
    world: World, shelf: dict[str, Article]
) -> None:
    target = shelf["public"]
    vote = reverse("web:help_vote", args=[target.pk])
    anonymous = Client()
    assert anonymous.post(vote, {"helpful": "yes"}).status_code == 302
    anonymous.post(vote, {"helpful": "yes"})
    Client().post(vote, {"helpful": "yes"})  # another browser: another voice
    target.refresh_from_db()
    assert (target.helpful_votes, target.unhelpful_votes) == (2, 0)
    anonymous.post(vote, {"helpful": "no"})  # a changed mind moves the vote
    target.refresh_from_db()
    assert (target.helpful_votes, target.unhelpful_votes) == (1, 1)
    person = signed_in(world.alpha.user)
    person.post(vote, {"helpful": "no"})
    person.post(vote, {"helpful": "no"})
    target.refresh_from_db()
    assert (target.helpful_votes, target.unhelpful_votes) == (1, 2)
    assert ArticleVote.objects.filter(user=world.alpha.user).count() == 1
    assert person.post(vote, {"helpful": "\x00"}).status_code == 302
    assert person.get(vote).status_code == 405
    hidden = reverse("web:help_vote", args=[shelf["internal"].pk])
    assert person.post(hidden, {"helpful": "yes"}).status_code == 404
    assert not ArticleVote.objects.filter(article=shelf["internal"]).exists()


def test_a_reader_gets_the_article_in_their_language_and_links_to_the_others(
    world: World,
) -> None:
    english = article(world, "Printer does not print", language="en")
    russian = article(world, "Принтер не печатает", language="ru", translation_of_id=english.pk)
    world.alpha.user.language = "ru"
    world.alpha.user.save(update_fields=["language"])
    client = signed_in(world.alpha.user)
    response = client.get(reverse("web:help_article", args=[english.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("web:help_article", args=[russian.pk])
    page = titles_on(client, response["Location"])
    assert "Принтер не печатает" in page
    chosen = f"{reverse('web:help_article', args=[english.pk])}?lang=en"
    assert chosen in page
    assert client.get(chosen).status_code == 200  # a language the reader chose stays
    english_reader = Client()
    assert english_reader.get(reverse("web:help_article", args=[english.pk])).status_code == 200
    # One entry per article and its translations in the lists.
    home = titles_on(client, reverse("web:help_home"))
    assert home.count(f'data-article="{russian.pk}"') == 2  # most viewed, recently updated
    assert f'data-article="{english.pk}"' not in home


def test_suggestions_are_scoped_to_what_the_customer_may_read(
    world: World, shelf: dict[str, Article]
) -> None:
    url = reverse("web:help_suggestions")
    draft = {"title": "The printer jams", "description": "every morning"}
    page = signed_in(world.alpha.user).post(url, draft).content.decode()
    assert "Printer public guide" in page
    assert "Printer alpha guide" in page
    assert "Printer beta guide" not in page
    assert "Printer internal runbook" not in page
    assert "Printer draft guide" not in page
    assert 'data-action="deflect"' in page
    signed_out = Client().get(url, draft).content.decode()
    assert "Printer public guide" in signed_out
    assert "Printer customers guide" not in signed_out
    assert 'data-action="deflect"' not in signed_out
    nothing = signed_in(world.alpha.user).post(url, {"title": "zz"}).content.decode()
    assert "data-article" not in nothing
    dismissed = signed_in(world.alpha.user).get(url, {"dismiss": "1"}).content.decode()
    assert "data-dismissed" in dismissed
    assert "hx-post" not in dismissed


def test_a_long_or_hostile_draft_never_fails(world: World, shelf: dict[str, Article]) -> None:
    client = signed_in(world.alpha.user)
    url = reverse("web:help_suggestions")
    for value in ("\x00printer", "printer " * 2_000, "x" * 10_000, "<script>", "٣", " "):
        assert client.post(url, {"title": value, "description": value}).status_code == 200
        assert client.get(url, {"title": value[:500]}).status_code == 200
    deflect = reverse("web:help_deflect", args=[shelf["public"].pk])
    response = client.post(deflect, {"title": "\x00 printer", "description": "y" * 20_000})
    assert response.status_code == 302
    stored = Deflection.objects.get()
    assert "\x00" not in stored.text
    assert len(stored.text) <= 10_000
    # The service itself keeps no NUL either (the API calls it with the client's text).
    direct = article_deflect(user=world.alpha.user, article_id=shelf["public"].pk, text="a\x00b")
    direct.refresh_from_db()
    assert direct.text == "ab"


def test_this_answered_my_question_counts_a_deflection_and_registers_no_ticket(
    world: World, shelf: dict[str, Article]
) -> None:
    client = signed_in(world.alpha.user)
    target = shelf["alpha"]
    response = client.post(
        reverse("web:help_deflect", args=[target.pk]),
        {"title": "Printer jams", "description": "Every morning at nine"},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("web:help_answered", args=[target.pk])
    thanks = titles_on(client, response["Location"])
    assert target.title in thanks
    assert not Ticket.objects.exists()
    target.refresh_from_db()
    assert target.deflections == 1
    deflection = Deflection.objects.get()
    assert (deflection.article, deflection.user, deflection.organisation) == (
        target,
        world.alpha.user,
        world.alpha.organisation,
    )
    assert deflection.text == "Printer jams\n\nEvery morning at nine"
    htmx = client.post(
        reverse("web:help_deflect", args=[target.pk]),
        {"title": "again"},
        headers={"hx-request": "true"},
    )
    assert htmx["HX-Redirect"] == reverse("web:help_answered", args=[target.pk])


def test_nobody_deflects_with_an_article_they_may_not_read_nor_as_the_support_team(
    world: World, shelf: dict[str, Article]
) -> None:
    client = signed_in(world.alpha.user)
    for name in ("beta", "internal", "draft"):
        url = reverse("web:help_deflect", args=[shelf[name].pk])
        assert client.post(url, {"title": "x"}).status_code == 404
    staff = signed_in(world.agent1).post(reverse("web:help_deflect", args=[shelf["public"].pk]))
    assert staff.status_code == 404
    signed_out = Client().post(reverse("web:help_deflect", args=[shelf["public"].pk]))
    assert signed_out.status_code == 302
    assert "/login/" in signed_out["Location"]
    assert not Deflection.objects.exists()
    assert Article.objects.filter(deflections__gt=0).count() == 0


def test_the_new_ticket_page_asks_for_suggestions_and_links_the_help_centre(
    world: World,
) -> None:
    page = titles_on(signed_in(world.alpha.user), reverse("web:ticket_new"))
    assert f'hx-post="{reverse("web:help_suggestions")}"' in page
    assert 'id="suggestions"' in page
    assert f'href="{reverse("web:help_home")}"' in page
    by_phone = titles_on(signed_in(world.agent1), reverse("web:ticket_new"))
    assert 'id="suggestions"' not in by_phone


def configured(world: World, organisation_id: int, environment: str) -> None:
    configuration_save(
        actor=world.agent1,
        organisation_id=organisation_id,
        expected_version=0,
        data={"environment": environment, "notes": "Line one\nLine two"},
    )


def test_a_specialist_reads_their_own_organisations_configuration_only(
    world: World,
) -> None:
    configured(world, world.alpha.organisation.pk, "Alpha on PostgreSQL 16")
    configured(world, world.beta.organisation.pk, "Beta on Oracle")
    url = reverse("web:help_configuration")
    page = titles_on(signed_in(world.alpha.specialist), url)
    assert "Alpha on PostgreSQL 16" in page
    assert "Line one<br>Line two" in page
    assert world.agent1.email in page or str(world.agent1) in page
    assert "Beta on Oracle" not in page
    beta = titles_on(signed_in(world.beta.specialist), url)
    assert "Beta on Oracle" in beta
    assert "Alpha" not in beta.split("<main", 1)[1]
    people: list[User] = [world.alpha.user, world.agent1, world.admin]
    for person in people:
        assert signed_in(person).get(url).status_code == 404
    assert Client().get(url).status_code == 302


def test_a_configuration_never_written_shows_an_empty_page(world: World) -> None:
    page = titles_on(signed_in(world.alpha.specialist), reverse("web:help_configuration"))
    assert 'class="empty"' in page


@pytest.mark.parametrize("who", ["signed_out", "customer", "agent"])
def test_the_help_centre_costs_the_same_queries_however_many_articles(
    world: World, who: str
) -> None:
    shelf = Category.objects.create(name="Printers")
    clients = {
        "signed_out": Client(),
        "customer": signed_in(world.alpha.user),
        "agent": signed_in(world.agent1),
    }
    client = clients[who]
    pages = [
        (reverse("web:help_home"), {}),
        (reverse("web:help_home"), {"q": "printer"}),
        (reverse("web:help_home"), {"category": str(shelf.pk)}),
    ]

    def cost() -> list[int]:
        return [queries_for(partial(client.get, url, query)) for url, query in pages]

    article(world, "Printer one", category_id=shelf.pk)
    cost()  # caches warm (the session, the organisation's contract)
    few = cost()
    for number in range(8):
        original = article(world, f"Printer {number}", category_id=shelf.pk)
        article(world, f"Принтер {number}", language="ru", translation_of_id=original.pk)
    assert cost() == few
