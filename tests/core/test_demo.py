"""The demo: people at once, tickets through the real services, each part loaded once."""

from __future__ import annotations

from django.contrib.auth import authenticate

from sladesk.core.demo import demo_people_load, demo_tickets_load
from sladesk.tickets.models import Ticket, TicketEvent


def test_the_demo_loads_people_then_tickets_in_many_states_once(db: None) -> None:
    demo_people_load(password="demo-pass-123")
    assert authenticate(username="agent1@vendor.example", password="demo-pass-123") is not None
    assert demo_tickets_load(ticket_count=40) == 40
    assert demo_tickets_load(ticket_count=40) == 0  # a second run adds nothing
    tickets = Ticket.objects.all()
    assert {t.organisation.code for t in tickets} == {"alpha", "beta"}
    assert len({t.status for t in tickets}) >= 4
    assert all(TicketEvent.objects.filter(ticket=t, kind="registered").exists() for t in tickets)
    demo_people_load(password="another-pass-456")  # a rerun only resets the passwords
    assert authenticate(username="agent1@vendor.example", password="another-pass-456") is not None
    assert Ticket.objects.count() == 40


def test_the_demo_has_a_knowledge_base_for_each_audience(db: None) -> None:
    from sladesk.accounts.models import User
    from sladesk.knowledge import search
    from sladesk.knowledge.models import Article, CustomerConfiguration
    from sladesk.knowledge.selectors import article_readable

    demo_people_load(password="demo-pass-123")
    assert {a.audience for a in Article.objects.all()} == {
        "public",
        "customers",
        "organisation",
        "internal",
    }
    assert Article.objects.filter(translation_of__isnull=False).exists()
    assert CustomerConfiguration.objects.count() == 2
    beta = User.objects.get(email="user@beta.example")
    readable = article_readable(user=beta)
    assert [hit.article.title for hit in search.search(readable, "принтер")] == [
        "Принтер не печатает"
    ]
    assert search.search(readable, "VPN") == []  # Alpha's own article


def test_the_demo_has_releases_shipped_and_planned(db: None) -> None:
    from sladesk.releases.models import Release

    demo_people_load(password="demo-pass-123")
    demo_tickets_load(ticket_count=30)
    releases = Release.objects.order_by("service__organisation__code", "version")
    assert [(r.service.organisation.code, r.version, r.status) for r in releases] == [
        ("alpha", "2.4", "released"),
        ("alpha", "2.5", "planned"),
        ("beta", "2.4", "released"),
        ("beta", "2.5", "planned"),
    ]
    assert all(r.notes_in("ru") for r in releases)
    assert Ticket.objects.filter(release__version="2.5").exists()
