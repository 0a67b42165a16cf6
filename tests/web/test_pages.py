"""The first pages: sign-in, lists and registration, in English and Russian."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from sladesk.tickets.models import Ticket
from tests.conftest import World, signed_in


def test_the_login_page_speaks_russian_when_asked(db: None) -> None:
    page = Client(headers={"accept-language": "ru"}).get(reverse("web:login")).content.decode()
    assert "Войти" in page
    assert "Пароль" in page


def test_a_customer_registers_a_ticket_through_the_portal(world: World) -> None:
    client = signed_in(world.alpha.user)
    form = client.get(reverse("web:ticket_new")).content.decode()
    assert world.alpha.service.name in form
    assert world.beta.service.name not in form
    response = client.post(
        reverse("web:ticket_new"),
        {
            "title": "Printing fails",
            "description": "Since Monday",
            "service": world.alpha.service.pk,
        },
    )
    ticket = Ticket.objects.get(title="Printing fails")
    assert response.status_code == 302
    assert response["Location"] == reverse("web:ticket_detail", args=[ticket.pk])
    assert (ticket.organisation, ticket.channel) == (world.alpha.organisation, "portal")


def test_a_foreign_service_is_a_form_error_not_a_ticket(world: World) -> None:
    client = signed_in(world.alpha.user)
    response = client.post(
        reverse("web:ticket_new"), {"title": "x", "service": world.beta.service.pk}
    )
    assert response.status_code == 200
    assert not Ticket.objects.exists()


def test_a_reply_with_a_file_lands_in_the_conversation(world: World) -> None:
    ticket = world.ticket(world.alpha)
    client = signed_in(world.alpha.user)
    client.post(
        reverse("web:ticket_comment", args=[ticket.pk]),
        {
            "body": "Screenshot attached",
            "attachments": [SimpleUploadedFile("shot.png", b"\x89PNG\r\n\x1a\n0000")],
        },
    )
    page = client.get(reverse("web:ticket_detail", args=[ticket.pk])).content.decode()
    assert "Screenshot attached" in page
    assert "shot.png" in page
