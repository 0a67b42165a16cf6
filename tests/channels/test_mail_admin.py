"""Administrators see quarantined mail with its raw bytes and can reprocess it."""

from __future__ import annotations

from django.urls import reverse

from sladesk.channels.choices import InboundStatus
from sladesk.channels.models import InboundMail
from sladesk.channels.services import inbound_mail_process, inbound_mail_store
from tests.channels.conftest import build_mail
from tests.conftest import World, signed_in


def test_an_administrator_sees_the_raw_message_and_reprocesses_it(world: World) -> None:
    raw = build_mail(sender="someone@later.example", body="Visible raw body text")
    mail = inbound_mail_process(inbound_mail_id=inbound_mail_store(raw=raw).mail.pk)
    assert mail.status == InboundStatus.QUARANTINED
    client = signed_in(world.admin)
    listing = client.get(reverse("admin:channels_inboundmail_changelist")).content.decode()
    assert "unknown sender someone@later.example" in listing
    page = client.get(reverse("admin:channels_inboundmail_change", args=[mail.pk]))
    assert "Visible raw body text" in page.content.decode()
    world.beta.organisation.email_domains = "beta.example,later.example"
    world.beta.organisation.save()
    response = client.post(
        reverse("admin:channels_inboundmail_changelist"),
        {"action": "reprocess", "_selected_action": [str(mail.pk)]},
    )
    assert response.status_code == 302
    mail.refresh_from_db()
    assert mail.status == InboundStatus.PROCESSED
    assert mail.ticket is not None
    assert mail.ticket.organisation == world.beta.organisation


def test_an_agent_cannot_open_the_mail_admin(world: World) -> None:
    inbound_mail_store(raw=build_mail())
    response = signed_in(world.agent1).get(reverse("admin:channels_inboundmail_changelist"))
    assert response.status_code == 302  # to the admin login
    assert InboundMail.objects.count() == 1
