"""The desk's own notes are stored as kinds with parameters and read in the reader's
language: in the ticket page (workspace and portal), the API and the mail quote; the stored
body keeps the English text for search and for readers that know no kinds."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from sladesk.notifications.models import Notification
from sladesk.notifications.rendering import render
from sladesk.problems import services as problem_services
from sladesk.tickets import services
from sladesk.tickets.choices import CommentKind
from sladesk.tickets.models import Comment, Ticket
from sladesk.tickets.notes import NOTES, Note, note_render, source_text
from tests.api.test_api_behaviour import client_for
from tests.conftest import World, signed_in

PLACEHOLDER = re.compile(r"%\((\w+)\)([sd])")


def sample_params(kind: str) -> dict[str, Any]:
    """A value for every placeholder of the kind's message: 3 for a number, else a word."""
    return {
        name: 3 if conversion == "d" else "x"
        for name, conversion in PLACEHOLDER.findall(NOTES[kind].template)
    }


@pytest.mark.parametrize("kind", sorted(NOTES))
def test_every_note_kind_reads_in_the_active_language(kind: str) -> None:
    params = sample_params(kind)
    with translation.override("en"):
        english = note_render(kind, params)
    with translation.override("ru"):
        russian = note_render(kind, params)
    assert english == NOTES[kind].template % params
    assert russian != english  # the message goes through gettext, and ships in Russian
    assert len(kind) <= Comment._meta.get_field("note").max_length  # type: ignore[operator]


def test_a_note_that_no_longer_fits_falls_back_and_never_raises() -> None:
    assert note_render("no_such_kind", {"note": "x"}, fallback="as written") == "as written"
    assert note_render("reproduced", {}, fallback="as written") == "as written"
    assert note_render("auto_closed", {"days": "three"}, fallback="as written") == "as written"
    with translation.override("en"):
        assert note_render("reproduced", {}) == "Reproduced: …"
        assert note_render("reproduced", None) == "Reproduced: …"
    assert note_render("no_such_kind", {}) == "…"
    with pytest.raises(ValueError, match="unknown note kind"):
        Note("no_such_kind")  # a writer's typo fails at once, not when somebody reads it


@given(
    kind=st.sampled_from([*sorted(NOTES), "unknown"]),
    params=st.dictionaries(
        st.sampled_from(["note", "days", "reason", "kind", "threshold", "title", "other"]),
        st.recursive(
            st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5),
            lambda inner: (
                st.lists(inner, max_size=2)
                | st.dictionaries(st.sampled_from(["kind", "params"]), inner, max_size=2)
            ),
            max_leaves=5,
        ),
        max_size=4,
    ),
)
def test_rendering_stored_parameters_never_raises(kind: str, params: dict[str, Any]) -> None:
    assert isinstance(note_render(kind, params), str)


def test_shipped_parameters_and_nested_notes_are_translated_when_read() -> None:
    from sladesk.sla.choices import Clock, SlaEventKind

    with translation.override("ru"):  # written while Russian is active: the source is stored
        event = Note(
            "sla_event",
            {
                "kind": source_text(SlaEventKind.BREACH.label),
                "clock": source_text(Clock.RESOLUTION.label),
                "threshold": 0,
                "breach_note": "seek a replacement for the third-party component",
            },
        )
    assert event.params["kind"] == "Breach"
    raised = Note("attention_raised", {"reason": event})
    assert raised.stored_params()["reason"] == {"kind": "sla_event", "params": event.params}
    with translation.override("en"):
        assert raised.render() == (
            "Raised to the lead: SLA Breach: Resolution: "
            "seek a replacement for the third-party component"
        )
        warning = Note("sla_event", event.params | {"kind": "Warning", "threshold": 80})
        assert warning.render().startswith("SLA Warning: Resolution (80 %): seek")
    with translation.override("ru"):
        assert raised.render() == (
            "Поднято руководителю: SLA, Нарушение: Решение: найти замену стороннему компоненту"
        )


def reproduced(world: World, *, language: str = "en") -> tuple[Ticket, Comment]:
    ticket = world.ticket(world.beta)
    with translation.override(language):
        services.ticket_mark_reproduced(
            actor=world.agent1, ticket_id=ticket.pk, note="On the test stand"
        )
    return ticket, Comment.objects.get(ticket=ticket, note="reproduced")


def test_a_note_written_in_english_reads_russian_to_a_russian_reader(world: World) -> None:
    _ticket, comment = reproduced(world)
    assert comment.note_params == {"note": "On the test stand"}
    assert comment.body == "Reproduced: On the test stand"  # for search and webhooks
    with translation.override("en"):
        assert comment.text == "Reproduced: On the test stand"
    with translation.override("ru"):
        assert comment.text == "Воспроизведено: On the test stand"  # the person's words stay


def test_the_stored_body_is_english_whatever_language_wrote_it(world: World) -> None:
    _ticket, comment = reproduced(world, language="ru")
    assert comment.body == "Reproduced: On the test stand"


def test_a_persons_words_and_old_rows_read_as_written(world: World) -> None:
    ticket = world.ticket(world.beta)
    mine = services.ticket_comment(actor=world.agent1, ticket_id=ticket.pk, body="Reproduced: no")
    assert (mine.note, mine.note_params) == ("", {})
    Comment.objects.filter(pk=mine.pk).update(note="gone_kind", note_params={"x": 1})
    mine.refresh_from_db()
    with translation.override("ru"):
        assert mine.text == "Reproduced: no"


def test_the_ticket_page_speaks_the_readers_language_and_keeps_notes_internal(
    world: World,
) -> None:
    ticket, _comment = reproduced(world)
    services.ticket_escalate(
        actor=world.agent1, ticket_id=ticket.pk, line_id=world.lines[2].pk, reason="Deeper"
    )
    for person in (world.lead, world.beta.user):
        person.language = "ru"
        person.save(update_fields=["language"])
    workspace = signed_in(world.lead).get(f"/tickets/{ticket.pk}/").content.decode()
    portal = signed_in(world.beta.user).get(f"/tickets/{ticket.pk}/").content.decode()
    assert "Воспроизведено: On the test stand" in workspace
    assert "Эскалирована на линию 2 (Line 2): Deeper" in workspace
    assert "Воспроизведено: On the test stand" in portal
    assert "Reproduced:" not in portal
    assert "Deeper" not in portal  # an internal note stays the vendor's


def test_the_api_gives_the_note_in_the_requested_language(world: World) -> None:
    ticket, _comment = reproduced(world)
    client = client_for(world.beta.user)
    url = f"/api/v1/tickets/{ticket.pk}/comments"
    [english] = [c for c in client.get(url).json() if c["kind"] == CommentKind.SYSTEM]
    [russian] = [
        c
        for c in client.get(url, headers={"accept-language": "ru"}).json()
        if c["kind"] == CommentKind.SYSTEM
    ]
    assert english["body"] == "Reproduced: On the test stand"
    assert russian["body"] == "Воспроизведено: On the test stand"


def test_the_mail_quote_of_a_desk_reply_is_in_the_recipients_language(world: World) -> None:
    world.alpha.user.language = "ru"
    world.alpha.user.save(update_fields=["language"])
    ticket = world.ticket(world.alpha)
    problem = problem_services.problem_register(
        actor=world.agent1,
        data=problem_services.ProblemRegistration(
            title="Invoice page blank", service_id=world.alpha.service.pk
        ),
        ticket_ids=[ticket.pk],
    )
    problem_services.problem_act(actor=world.agent1, problem_id=problem.pk, action="analyse")
    problem_services.problem_act(
        actor=world.agent1, problem_id=problem.pk, action="known-error", text="Clear the cache."
    )
    comment = Comment.objects.get(ticket=ticket, note="workaround_known")
    assert comment.note_params == {"number": problem.number, "workaround": "Clear the cache."}
    told = Notification.objects.filter(comment=comment, recipient=world.alpha.user.email).first()
    assert told is not None
    _subject, body = render(told)
    assert f"Известен обходной путь (проблема {problem.number}): Clear the cache." in body
