from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from sladesk.sla.services import sla_install_examples


class Command(BaseCommand):
    help = (
        "Install or update the shipped SLA examples (Moscow categories A-E; 24/7 request classes)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        for code, policy in sla_install_examples().items():
            self.stdout.write(f"{code}: {policy.name} ({policy.targets.count()} targets)")
