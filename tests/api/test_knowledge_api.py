"""The knowledge base over the API: articles written by the support team and read by whom
their audience lets read them, search and suggestions inside that audience, and the
customers' configurations."""

from __future__ import annotations

import datetime as dt
import json
from html.parser import HTMLParser
from typing import Any

import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from sladesk.accounts.services import api_token_create
from sladesk.knowledge.models import Article, Category
from sladesk.knowledge.services import BODY_LIMIT, ArticleDraft, article_create
from tests.conftest import World

ARTICLES = "/api/v1/kb/articles"
REPRESENTATION = {
    "id",
    "title",
    "body",
    "body_html",
    "language",
    "status",
    "audience",
    "organisation_id",
    "owner_id",
    "category_id",
    "review_on",
    "review_reason",
    "tags",
    "service_ids",
    "problem_id",
    "translation_of_id",
    "translations",
    "version",
    "created_at",
    "updated_at",
    "published_at",
    "views",
    "helpful_votes",
    "unhelpful_votes",
    "deflections",
    "linked_tickets",
}


def client_for(user: Any, scope: str = "write") -> Client:
    _token, raw = api_token_create(user=user, name="t", scope=scope)
    return Client(headers={"authorization": f"Bearer {raw}"})


def send(client: Client, method: str, url: str, body: Any) -> Any:
    return client.generic(method, url, json.dumps(body), content_type="application/json")


def publish(world: World, title: str, audience: str, **fields: Any) -> Article:
    draft = ArticleDraft(
        title=title,
        body=fields.pop("body", f"About {title.lower()}."),
        status=fields.pop("status", "published"),
        audience=audience,
        **fields,
    )
    return article_create(actor=world.agent1, draft=draft)


def article_payload(**fields: Any) -> dict[str, Any]:
    return {
        "title": "Printer offline",
        "body": "Restart the *spooler*.",
        "language": "en",
        "audience": "customers",
        "organisation_id": None,
        "status": "published",
        **fields,
    }


def test_the_support_team_writes_reads_and_changes_an_article(world: World) -> None:
    agent = client_for(world.agent1)
    category = Category.objects.create(name="Troubleshooting")
    created = send(
        agent,
        "POST",
        ARTICLES,
        article_payload(
            category_id=category.pk,
            tags=["Printing", "spooler"],
            service_ids=[world.alpha.service.pk],
            review_on="2099-01-31",
        ),
    )
    assert created.status_code == 201, created.content
    article = created.json()
    assert set(article) == REPRESENTATION
    assert article["body_html"] == "<p>Restart the <em>spooler</em>.</p>\n"
    assert article["tags"] == ["printing", "spooler"]
    assert article["service_ids"] == [world.alpha.service.pk]
    assert article["owner_id"] == world.agent1.pk
    assert article["category_id"] == category.pk
    assert article["review_on"] == "2099-01-31"
    assert article["version"] == 1
    assert article["published_at"] is not None
    assert article["translations"] == []
    assert article["linked_tickets"] == 0

    url = f"{ARTICLES}/{article['id']}"
    read = agent.get(url).json()
    assert read["views"] == 1
    assert {**read, "views": 0} == article

    changed = send(agent, "PATCH", url, {"version": 1, "title": "Printer shows offline"})
    assert changed.status_code == 200, changed.content
    assert changed.json()["title"] == "Printer shows offline"
    assert changed.json()["version"] == 2
    assert changed.json()["tags"] == ["printing", "spooler"]  # what was not sent stays

    stale = send(agent, "PATCH", url, {"version": 1, "body": "An edit of the old text."})
    assert stale.status_code == 409
    assert stale["Content-Type"] == "application/problem+json"
    assert "version 2" in stale.json()["detail"]
    assert agent.get(url).json()["body"] == "Restart the *spooler*."

    versions = agent.get(f"{url}/versions").json()
    assert [version["number"] for version in versions] == [2, 1]
    assert versions[0] == {
        "number": 2,
        "title": "Printer shows offline",
        "status": "published",
        "audience": "customers",
        "edited_by_id": world.agent1.pk,
        "edited_at": versions[0]["edited_at"],
    }


def test_customers_read_and_vote_but_never_write(world: World) -> None:
    article = publish(world, "VPN drops", "customers")
    url = f"{ARTICLES}/{article.pk}"
    for person in (world.alpha.specialist, world.alpha.user):
        customer = client_for(person)
        assert customer.get(url).status_code == 200
        assert send(customer, "POST", ARTICLES, article_payload()).status_code == 403
        assert send(customer, "PATCH", url, {"version": 1, "title": "x"}).status_code == 403
        # The history holds drafts and audiences the team chose: a reader is refused it.
        assert customer.get(f"{url}/versions").status_code == 403
    assert Article.objects.get(pk=article.pk).title == "VPN drops"

    specialist = client_for(world.alpha.specialist)
    voted = send(specialist, "POST", f"{url}/vote", {"helpful": True})
    assert voted.status_code == 200
    assert voted.json() == {"id": article.pk, "helpful_votes": 1, "unhelpful_votes": 0}
    again = send(specialist, "POST", f"{url}/vote", {"helpful": False}).json()
    assert again == {"id": article.pk, "helpful_votes": 0, "unhelpful_votes": 1}
    other = send(client_for(world.beta.user), "POST", f"{url}/vote", {"helpful": False})
    assert other.json()["unhelpful_votes"] == 2
    assert send(specialist, "POST", f"{url}/vote", {"helpful": 1}).status_code == 422


def test_a_read_only_token_reads_but_does_not_write(world: World) -> None:
    article = publish(world, "VPN drops", "customers")
    url = f"{ARTICLES}/{article.pk}"
    reader = client_for(world.agent1, scope="read")
    assert reader.get(url).status_code == 200
    assert send(reader, "PATCH", url, {"version": 1, "title": "x"}).status_code == 403
    assert send(reader, "POST", ARTICLES, article_payload()).status_code == 403
    customer = client_for(world.alpha.user, scope="read")
    assert send(customer, "POST", f"{url}/vote", {"helpful": True}).status_code == 403


def test_each_audience_reaches_only_its_readers(world: World) -> None:
    internal = publish(world, "Restart the cluster", "internal")
    alpha_only = publish(
        world, "Alpha gateway", "organisation", organisation_id=world.alpha.organisation.pk
    )
    everyone = publish(world, "Reset a password", "customers")
    public = publish(world, "Opening hours", "public")
    draft = publish(world, "Unfinished", "customers", status="draft")
    readers = {
        "agent": (client_for(world.agent2), {internal, alpha_only, everyone, public, draft}),
        "alpha specialist": (client_for(world.alpha.specialist), {alpha_only, everyone, public}),
        "alpha user": (client_for(world.alpha.user), {alpha_only, everyone, public}),
        "beta user": (client_for(world.beta.user), {everyone, public}),
    }
    for name, (client, readable) in readers.items():
        listed = client.get(ARTICLES).json()["items"]
        assert {item["id"] for item in listed} == {article.pk for article in readable}, name
        for article in (internal, alpha_only, everyone, public, draft):
            response = client.get(f"{ARTICLES}/{article.pk}")
            assert response.status_code == (200 if article in readable else 404), (name, article)
            if article not in readable:
                assert article.title.encode() not in response.content
                vote = send(client, "POST", f"{ARTICLES}/{article.pk}/vote", {"helpful": True})
                assert vote.status_code == 404
                assert client.get(f"{ARTICLES}/{article.pk}/versions").status_code == 404
                patch = send(client, "PATCH", f"{ARTICLES}/{article.pk}", {"version": 1})
                assert patch.status_code == 404
    assert Client().get(f"{ARTICLES}/{public.pk}").status_code == 401  # the API needs a token


def test_translations_show_only_the_languages_the_reader_may_read(world: World) -> None:
    original = publish(world, "Printer offline", "customers")
    agent = client_for(world.agent1)
    russian = send(
        agent,
        "POST",
        ARTICLES,
        article_payload(title="Принтер не в сети", language="ru", translation_of_id=original.pk),
    ).json()
    czech = send(
        agent,
        "POST",
        ARTICLES,
        article_payload(
            title="Tiskárna offline", language="cs", status="draft", translation_of_id=russian["id"]
        ),
    ).json()
    assert czech["translation_of_id"] == original.pk  # translations hang off the original
    twice = send(
        agent, "POST", ARTICLES, article_payload(language="ru", translation_of_id=original.pk)
    )
    assert twice.status_code == 400
    assert twice.json()["errors"][0]["field"] == "language"

    def translations(client: Client, article_id: int) -> list[tuple[int, str]]:
        body = client.get(f"{ARTICLES}/{article_id}").json()
        return [(item["id"], item["language"]) for item in body["translations"]]

    assert translations(agent, original.pk) == [(czech["id"], "cs"), (russian["id"], "ru")]
    assert translations(agent, russian["id"]) == [(czech["id"], "cs"), (original.pk, "en")]
    customer = client_for(world.alpha.user)
    assert translations(customer, original.pk) == [(russian["id"], "ru")]  # not the draft
    listed = customer.get(f"{ARTICLES}?language=ru").json()["items"]
    assert [item["translations"] for item in listed] == [
        [{"id": original.pk, "language": "en", "title": "Printer offline"}]
    ]


def test_bad_input_is_a_problem_with_a_message(world: World) -> None:
    agent = client_for(world.agent1)
    cases = [
        (article_payload(audience="organisation"), 400, "organisation"),
        (article_payload(organisation_id=world.alpha.organisation.pk), 201, None),
        (
            article_payload(audience="organisation", organisation_id=world.vendor.pk),
            400,
            "organisation",
        ),
        (article_payload(language="de"), 422, "body.payload.language"),
        (article_payload(status="hidden"), 422, "body.payload.status"),
        (article_payload(audience="everybody"), 422, "body.payload.audience"),
        (article_payload(body="x" * (BODY_LIMIT + 1)), 422, "body.payload.body"),
        (article_payload(surprise=1), 422, "body.payload.surprise"),
        (article_payload(title="   "), 400, "title"),
        (article_payload(category_id=999_999), 400, "category"),
        (article_payload(owner_id=world.alpha.user.pk), 400, "owner"),
        (article_payload(service_ids=[999_999]), 400, "services"),
        (article_payload(problem_id=999_999), 400, "problem"),
        (article_payload(translation_of_id=999_999), 400, "translation_of"),
        (article_payload(review_on=20990101), 422, "body.payload.review_on"),
        (article_payload(category_id=2**70), 400, None),
    ]
    for payload, status, field in cases:
        response = send(agent, "POST", ARTICLES, payload)
        assert response.status_code == status, (payload, response.content)
        if status >= 400:
            problem = response.json()
            assert response["Content-Type"] == "application/problem+json"
            assert problem["detail"]
            if field is not None:
                assert field in [error["field"] for error in problem["errors"]], problem
    # What the service takes only from the desk (the counters, the version) is refused.
    article = publish(world, "VPN", "customers")
    url = f"{ARTICLES}/{article.pk}"
    for body in ({"version": 1, "views": 10}, {"title": "x"}, {"version": 1, "tags": None}):
        assert send(agent, "PATCH", url, body).status_code == 422, body
    nothing = send(agent, "PATCH", url, {"version": 1})
    assert nothing.status_code == 200
    assert nothing.json()["version"] == 1  # nothing changed: no new version
    unset = send(agent, "PATCH", url, {"version": 1, "audience": "organisation"})
    assert unset.status_code == 400
    assert "organisation" in unset.json()["detail"]


class Elements(HTMLParser):
    """The tags and attributes a browser would make of a piece of HTML."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.found: list[tuple[str, dict[str, str | None]]] = []
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, dict(attrs)))


def test_markup_that_runs_is_kept_out_of_the_page(world: World) -> None:
    agent = client_for(world.agent1)
    body = (
        "<script>alert(1)</script>\n\n"
        '<img src="x" onerror="alert(2)">\n\n'
        "[click](javascript:alert(3))\n\n"
        "<a href='javascript:alert(4)'>raw</a> [ok](https://example.com/)\n\n"
        "![pic](https://example.com/a.png)"
    )
    created = send(agent, "POST", ARTICLES, article_payload(body=body))
    assert created.status_code == 201
    assert created.json()["body"] == body  # kept as written, for the next edit
    html = created.json()["body_html"]
    elements = Elements(html).found
    assert "script" not in [tag for tag, _attributes in elements]
    attributes = [(name, value or "") for _tag, found in elements for name, value in found.items()]
    assert not [name for name, _value in attributes if name.startswith("on")], html
    assert not [value for _name, value in attributes if "javascript" in value], html
    assert "<script" not in html  # the raw markup is shown as text, escaped
    assert ("img", {"src": "https://example.com/a.png", "alt": "pic"}) in elements
    assert (
        "a",
        {"href": "https://example.com/", "rel": "noopener noreferrer nofollow"},
    ) in elements


def test_the_list_filters_and_pages(world: World) -> None:
    category = Category.objects.create(name="FAQ")
    with time_machine.travel(dt.datetime(2026, 3, 1, 9, tzinfo=dt.UTC), tick=False):
        old = publish(world, "Old one", "customers", review_on=dt.date(2026, 4, 1))
        russian = publish(world, "Русская", "public", language="ru", category_id=category.pk)
        draft = publish(world, "Draft", "internal", status="draft")
    with time_machine.travel(dt.datetime(2026, 5, 1, 9, tzinfo=dt.UTC), tick=False):
        agent = client_for(world.agent1)

        def ids(query: str) -> list[int]:
            response = agent.get(f"{ARTICLES}?{query}")
            assert response.status_code == 200, response.content
            return [item["id"] for item in response.json()["items"]]

        assert ids("") == [draft.pk, russian.pk, old.pk]  # the last changed first
        assert ids("status=draft") == [draft.pk]
        assert ids("audience=public") == [russian.pk]
        assert ids("language=ru") == [russian.pk]
        assert ids(f"category_id={category.pk}") == [russian.pk]
        assert ids("stale=true") == [old.pk]  # past its review date
        assert ids("status=nonsense") == []
        first = agent.get(f"{ARTICLES}?limit=2").json()
        assert [item["id"] for item in first["items"]] == [draft.pk, russian.pk]
        second = agent.get(f"{ARTICLES}?limit=2&cursor={first['next_cursor']}").json()
        assert [item["id"] for item in second["items"]] == [old.pk]
        assert second["next_cursor"] is None
        assert agent.get(f"{ARTICLES}?limit=0").status_code == 400
        assert agent.get(f"{ARTICLES}?cursor=nonsense").status_code == 400


def page_queries(client: Client) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"{ARTICLES}?limit=50")
    assert response.status_code == 200
    return len(queries), len(response.json()["items"])


def test_the_list_costs_the_same_whatever_it_holds(world: World) -> None:
    agent, customer = client_for(world.agent1), client_for(world.alpha.user)
    for client in (agent, customer):
        client.get("/api/v1/me")  # the token's first use is recorded once
    for number in range(2):
        publish(world, f"Article {number}", "customers", tags=(f"tag{number}",))
    few = page_queries(agent), page_queries(customer)
    for number in range(8):
        original = publish(
            world, f"More {number}", "customers", service_ids=(world.alpha.service.pk,)
        )
        publish(world, f"Mehr {number}", "customers", language="cs", translation_of_id=original.pk)
    many = page_queries(agent), page_queries(customer)
    # The page's keys, its articles, their tags, services, ticket counts, translations.
    assert few == ((6, 2), (6, 2))
    assert many == ((6, 18), (6, 18))


def test_search_and_suggestions_keep_to_the_readers_audience(world: World) -> None:
    internal = publish(world, "Printer spooler internals", "internal", body="Spooler memory dump.")
    alpha_only = publish(
        world,
        "Alpha printer spooler",
        "organisation",
        organisation_id=world.alpha.organisation.pk,
        body="The spooler of Alpha's print server.",
    )
    everyone = publish(world, "Printer spooler stops", "customers", body="Restart the spooler.")
    found = {
        "agent": (client_for(world.agent1), {internal.pk, alpha_only.pk, everyone.pk}),
        "alpha": (client_for(world.alpha.user), {alpha_only.pk, everyone.pk}),
        "beta": (client_for(world.beta.specialist), {everyone.pk}),
    }
    for name, (client, expected) in found.items():
        searched = client.get("/api/v1/kb/search?q=spooler")
        assert searched.status_code == 200, searched.content
        items = searched.json()["items"]
        assert {item["id"] for item in items} == expected, name
        assert set(items[0]) == {"id", "title", "snippet", "language", "audience"}
        assert set(searched.json()) == {"items"}
        suggested = client.get("/api/v1/kb/suggest?text=my+printer+spooler+hangs").json()
        assert {item["id"] for item in suggested["items"]} == expected, name
    beta = client_for(world.beta.specialist)
    assert beta.get("/api/v1/kb/search?q=alpha").json() == {"items": []}
    hit = client_for(world.alpha.user).get("/api/v1/kb/search?q=restart").json()["items"]
    assert hit == [
        {
            "id": everyone.pk,
            "title": "Printer spooler stops",
            "snippet": hit[0]["snippet"],
            "language": "en",
            "audience": "customers",
        }
    ]
    assert "<mark>" in hit[0]["snippet"]
    limited = client_for(world.agent1).get("/api/v1/kb/search?q=spooler&limit=1").json()
    assert len(limited["items"]) == 1


def test_a_search_needs_its_words_within_limits(world: World) -> None:
    client = client_for(world.alpha.user)
    for url in (
        "/api/v1/kb/search",
        "/api/v1/kb/search?q=",
        f"/api/v1/kb/search?q={'a' * 1001}",
        "/api/v1/kb/search?q=x&limit=51",
        "/api/v1/kb/search?q=x&limit=0",
        "/api/v1/kb/suggest",
        f"/api/v1/kb/suggest?text={'a' * 1001}",
        "/api/v1/kb/suggest?text=x&limit=100",
    ):
        response = client.get(url)
        assert response.status_code == 422, url
        assert response["Content-Type"] == "application/problem+json"
        assert response.json()["errors"][0]["message"]
    for query in ('"', "OR", "NEAR(", "*", "' OR 1=1 --", "   ", "a" * 1000):
        assert client.get("/api/v1/kb/search", {"q": query}).status_code == 200, query
        assert client.get("/api/v1/kb/suggest", {"text": query}).status_code == 200, query


def configuration_url(world: World, customer: str = "alpha") -> str:
    organisation = world.alpha.organisation if customer == "alpha" else world.beta.organisation
    return f"/api/v1/organisations/{organisation.pk}/configuration"


def test_a_configuration_is_written_with_its_history(world: World) -> None:
    agent = client_for(world.agent1)
    url = configuration_url(world)
    empty = agent.get(url).json()
    assert empty == {
        "organisation_id": world.alpha.organisation.pk,
        "environment": "",
        "installed_versions": "",
        "integrations": "",
        "remote_access": "",
        "contacts": "",
        "notes": "",
        "version": 0,
        "updated_by_id": None,
        "updated_at": None,
        "history": [],
    }
    first = send(agent, "PUT", url, {"version": 0, "environment": "RHEL 9", "notes": " VPN "})
    assert first.status_code == 200, first.content
    assert first.json()["version"] == 1
    assert first.json()["notes"] == "VPN"
    second = send(client_for(world.agent2), "PUT", url, {"version": 1, "contacts": "Ivan"})
    saved = second.json()
    assert saved["environment"] == "RHEL 9"  # a field left out stays
    assert saved["contacts"] == "Ivan"
    assert saved["updated_by_id"] == world.agent2.pk
    assert [(row["number"], row["edited_by_id"]) for row in saved["history"]] == [
        (2, world.agent2.pk),
        (1, world.agent1.pk),
    ]
    assert saved["history"][1]["data"]["environment"] == "RHEL 9"
    assert saved["history"][1]["data"]["contacts"] == ""
    assert saved == agent.get(url).json()

    stale = send(agent, "PUT", url, {"version": 1, "notes": "lost?"})
    assert stale.status_code == 409
    assert "version 2" in stale.json()["detail"]
    for body in (
        {"notes": "no version"},
        {"version": 2, "colour": "red"},
        {"version": 2, "notes": 5},
    ):
        assert send(agent, "PUT", url, body).status_code == 422, body
    assert send(agent, "PUT", url, {"version": 2, "notes": "x" * 20_001}).status_code == 422
    assert agent.get(url).json()["version"] == 2


def test_a_configuration_is_the_vendors_and_its_own_specialists(world: World) -> None:
    url, foreign = configuration_url(world), configuration_url(world, "beta")
    send(client_for(world.agent1), "PUT", url, {"version": 0, "remote_access": "AnyDesk"})
    specialist = client_for(world.alpha.specialist)
    assert specialist.get(url).json()["remote_access"] == "AnyDesk"
    refused = send(specialist, "PUT", url, {"version": 1, "remote_access": "mine"})
    assert refused.status_code == 403  # seen, but only the support team changes it
    assert specialist.get(foreign).status_code == 404
    assert send(specialist, "PUT", foreign, {"version": 0, "notes": "x"}).status_code == 404
    user = client_for(world.alpha.user)
    assert user.get(url).status_code == 404
    assert send(user, "PUT", url, {"version": 1, "notes": "x"}).status_code == 404
    vendor = f"/api/v1/organisations/{world.vendor.pk}/configuration"
    assert client_for(world.agent1).get(vendor).status_code == 404  # customers only
    assert client_for(world.agent1).get(foreign).status_code == 200
    assert specialist.get(url).json()["version"] == 1
