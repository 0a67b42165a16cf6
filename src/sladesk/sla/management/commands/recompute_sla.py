from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from sladesk.sla.services import sla_recompute
from sladesk.tickets.choices import OPEN_STATUSES
from sladesk.tickets.models import Ticket


class Command(BaseCommand):
    help = "Recompute the due times of the open tickets from their history (after a policy edit)."

    def handle(self, *args: Any, **options: Any) -> None:
        done = sla_recompute(Ticket.objects.filter(status__in=OPEN_STATUSES))
        self.stdout.write(f"{done} open tickets recomputed")
