"""The demo's releases: for each demo customer's first service, a version shipped today
with its notes in English and Russian, and the next one planned a month on, carrying a few
of the customer's open tickets (defects and requests first). Through the real services, so
that the tickets' histories, the desk's notes and the notifications exist."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Case, IntegerField, Value, When
from django.utils import timezone

from sladesk.accounts.models import Service, User
from sladesk.core import clock
from sladesk.releases.services import (
    ReleaseDraft,
    release_add_ticket,
    release_create,
    release_ship,
)
from sladesk.tickets import lifecycle
from sladesk.tickets.models import Ticket

CARRIED = 3  # open tickets the planned release carries
SHIPPED_NOTES = {
    "en": "- Reports export to **XLSX**\n- Faster search in the order list",
    "ru": "- Выгрузка отчётов в **XLSX**\n- Быстрый поиск в списке заказов",
}
PLANNED_NOTES = {
    "en": "- Fixes of the defects reported this quarter\n- Requested new functions",
    "ru": "- Исправления дефектов, о которых сообщили в этом квартале\n- Запрошенные функции",
}


def demo_releases_load(*, author: User, codes: tuple[str, ...] = ("alpha", "beta")) -> int:
    """Load the releases once (none if the demo services have some); how many were made."""
    services = [
        Service.objects.filter(organisation__code=code).order_by("name").first() for code in codes
    ]
    made = 0
    today = timezone.localtime(clock.now(), timezone.get_default_timezone()).date()
    for service in services:
        if service is None or service.releases.exists():
            continue
        with transaction.atomic():
            shipped = release_create(
                actor=author,
                draft=ReleaseDraft(
                    service_id=service.pk, version="2.4", planned_on=today, notes=SHIPPED_NOTES
                ),
            )
            release_ship(actor=author, release_id=shipped.pk)
            planned = release_create(
                actor=author,
                draft=ReleaseDraft(
                    service_id=service.pk,
                    version="2.5",
                    planned_on=today + dt.timedelta(days=30),
                    notes=PLANNED_NOTES,
                ),
            )
            for ticket in _to_carry(service):
                release_add_ticket(actor=author, release_id=planned.pk, ticket_id=ticket.pk)
        made += 2
    return made


def _to_carry(service: Service) -> list[Ticket]:
    first = Case(
        When(ticket_class__code__in=["C", "E"], then=Value(0)),
        default=Value(1),
        output_field=IntegerField(),
    )
    return list(
        Ticket.objects.filter(service=service, status__in=lifecycle.OPEN_STATUSES)
        .annotate(first=first)
        .order_by("first", "pk")[:CARRIED]
    )
